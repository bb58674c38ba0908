; rule: metadata is bounded by data, not by data_end: a check against data_end proves nothing for it
; expect: refuse "invalid access to packet"
; type: xdp
r2 = *(u32 *)(r1 + 8)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 0)
out:
r0 = 2
exit
