; rule: a 4-byte read at offset 6 needs 10 bytes proven, a check gave 8
; expect: refuse "invalid access to packet, off=6 size=4"
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 6)
out:
r0 = 2
exit
