; rule: a spilled scalar keeps its bounds, so a filled index stays proven
; expect: accept
; map: array:4:64:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
r1 &= 63
*(u64 *)(r10 - 16) = r1
r2 = *(u64 *)(r10 - 16)
r0 += r2
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
