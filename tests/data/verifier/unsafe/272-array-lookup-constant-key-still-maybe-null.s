; rule: an array lookup stays maybe-null even with a constant in-range key (it cannot fail at run time, but Linux 6.18 does not prove that): the null check is still required
; expect: refuse "R0 invalid mem access 'map_value_or_null'"
; map: array:4:8:4
r1 = 3
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = *(u64 *)(r0 + 0)
exit
