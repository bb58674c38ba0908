; rule: a check of 8 bytes proves offsets 0..7 only
; expect: refuse "invalid access to packet, off=8 size=1"
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 8)
out:
r0 = 2
exit
