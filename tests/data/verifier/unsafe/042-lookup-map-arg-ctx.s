; rule: map_lookup_elem's first argument must be a map pointer, not the context
; expect: refuse "R1 type=ctx expected=map_ptr"
r2 = r10
r2 += -4
*(u32 *)(r10 - 4) = 0
call 1
r0 = 0
exit
