; rule: a bound proven on the original reaches a copy made before the check
; expect: accept
; map: array:4:16:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
r4 = r1
if r1 >= 16 goto out
r0 += r4
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
