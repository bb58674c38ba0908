; rule: the key handed to a for_each_map_elem callback is read-only
; expect: refuse "write to change key R2 not allowed"
; map: array:4:8:4
ld_pseudo r1, 1, 0
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 164
r0 = 0
exit
cb:
*(u32 *)(r2 + 0) = 0
r0 = 0
exit
