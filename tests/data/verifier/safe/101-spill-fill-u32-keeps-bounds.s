; rule: a bounded 32-bit scalar spilled with a 4-byte store fills back with its bounds
; expect: accept
; map: array:4:16:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
r1 &= 15
*(u32 *)(r10 - 8) = r1
r1 = *(u32 *)(r10 - 8)
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
