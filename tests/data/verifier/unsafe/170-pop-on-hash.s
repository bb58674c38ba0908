; rule: map_pop_elem is for queues and stacks
; expect: refuse "cannot pass map_type 1 into func bpf_map_pop_elem#88"
; map: hash:4:8:16
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 88
r0 = 0
exit
