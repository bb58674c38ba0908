; rule: a 32-bit ALU result is zero-extended: w1 &= 15 bounds all of r1
; expect: accept
; map: array:4:16:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
w1 &= 15
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
