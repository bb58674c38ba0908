; rule: map_pop_elem is for queues and stacks, not Bloom filters (nothing can be taken out of one)
; expect: refuse "cannot pass map_type 30 into func bpf_map_pop_elem#88"
; map: bloom_filter:0:8:16
*(u64 *)(r10 - 8) = 5
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 88
r0 = 0
exit
