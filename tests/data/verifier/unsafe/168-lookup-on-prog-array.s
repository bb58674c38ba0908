; rule: a program array's entries are not readable by lookup
; expect: refuse "cannot pass map_type 3 into func bpf_map_lookup_elem#1"
; map: prog_array:4:4:4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
