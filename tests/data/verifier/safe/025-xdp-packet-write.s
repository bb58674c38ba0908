; rule: XDP may write packet bytes it has proven
; expect: accept
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 6
if r4 > r3 goto out
*(u16 *)(r2 + 4) = 0
*(u32 *)(r2 + 0) = 0
out:
r0 = 2
exit
