; rule: each lookup result has its own id; checking the first says nothing about the second
; expect: refuse "R7 invalid mem access 'map_value_or_null'"
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r6 = r0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r7 = r0
if r6 == 0 goto out
r0 = *(u64 *)(r7 + 0)
exit
out:
r0 = 0
exit
