; rule: comparing a maybe-null pointer with a non-zero constant proves nothing about null
; expect: refuse "R0 invalid mem access 'map_value_or_null'"
; map: hash:4:8:16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 1 goto out
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
