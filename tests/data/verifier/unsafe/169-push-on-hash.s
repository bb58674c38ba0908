; rule: map_push_elem is for queues and stacks
; expect: refuse "cannot pass map_type 1 into func bpf_map_push_elem#87"
; map: hash:4:8:16
*(u64 *)(r10 - 8) = 0
r2 = r10
r2 += -8
r3 = 0
ld_pseudo r1, 1, 0
call 87
r0 = 0
exit
