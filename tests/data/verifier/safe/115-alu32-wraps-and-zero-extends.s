; rule: a 32-bit add wraps and zero-extends; masking the 32-bit result bounds the 64-bit register
; expect: accept
; map: array:4:16:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
w1 += -1
w1 &= 15
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
