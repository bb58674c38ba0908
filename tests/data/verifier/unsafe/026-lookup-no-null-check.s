; rule: map_lookup_elem returns map_value_or_null; it must be null-checked before use
; expect: refuse "R0 invalid mem access 'map_value_or_null'"
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = *(u64 *)(r0 + 0)
exit
