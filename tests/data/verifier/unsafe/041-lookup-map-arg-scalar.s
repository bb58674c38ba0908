; rule: map_lookup_elem's first argument must be a map pointer (an lddw of a map)
; expect: refuse "R1 type=scalar expected=map_ptr"
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = 5
call 1
r0 = 0
exit
