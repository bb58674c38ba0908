; rule: a range proven for one packet pointer covers pointers with the same id only; data+var is a new pointer
; expect: refuse "invalid access to packet"
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 16
if r4 > r3 goto out
r5 = *(u8 *)(r2 + 0)
r5 &= 15
r6 = r2
r6 += r5
r0 = *(u8 *)(r6 + 8)
out:
r0 = 2
exit
