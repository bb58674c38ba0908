; rule: bytes written with an unknown value read back unknown, not as the zero an earlier write left
; expect: refuse "R6 unbounded memory access"
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = r0
*(u64 *)(r10 - 16) = 0
call 7
*(u32 *)(r10 - 16) = r0
r1 = *(u32 *)(r10 - 16)
r6 += r1
r0 = *(u8 *)(r6 + 0)
out:
r0 = 0
exit
