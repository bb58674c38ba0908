; rule: sign-extending moves and loads (cpu v4) work on scalars and map values
; expect: accept
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(s8 *)(r0 + 0)
r2 = (s16)r1
r0 = (s32)r2
exit
out:
r0 = 0
exit
