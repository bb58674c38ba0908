; rule: a copy plus a constant stays linked to the original: a check on r3 = r1 + 1 bounds r1 too (Linux 6.10+)
; expect: accept
; map: array:4:16:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
r3 = r1
r3 += 1
if r3 > 16 goto out
if r3 < 1 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
