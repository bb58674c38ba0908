; rule: the value handed to a for_each_map_elem callback is value_size bytes
; expect: refuse "invalid access to map value, value_size=8 off=8 size=8"
; map: array:4:8:4
ld_pseudo r1, 1, 0
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 164
r0 = 0
exit
cb:
r0 = *(u64 *)(r3 + 8)
r0 = 0
exit
