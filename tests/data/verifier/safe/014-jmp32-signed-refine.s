; rule: a signed 32-bit range check on a zero-extended value bounds it on both sides
; expect: accept
; map: array:4:16:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u16 *)(r0 + 0)
if w1 s> 15 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
