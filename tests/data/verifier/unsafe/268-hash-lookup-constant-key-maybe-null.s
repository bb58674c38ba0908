; rule: a hash lookup may fail whatever the key: the result must be null-checked
; expect: refuse "R0 invalid mem access 'map_value_or_null'"
; map: hash:4:8:4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = *(u64 *)(r0 + 0)
exit
