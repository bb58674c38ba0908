; rule: a spilled map_value_or_null stays or-null when filled; it still needs the check
; expect: refuse "R3 invalid mem access 'map_value_or_null'"
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
*(u64 *)(r10 - 16) = r0
r3 = *(u64 *)(r10 - 16)
r0 = *(u64 *)(r3 + 0)
exit
