; rule: a Bloom filter has no keyed values: map_lookup_elem is refused (programs use peek)
; expect: refuse "cannot pass map_type 30 into func bpf_map_lookup_elem#1"
; map: bloom_filter:0:8:16
*(u64 *)(r10 - 8) = 5
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
