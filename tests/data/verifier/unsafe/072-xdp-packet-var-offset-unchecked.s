; rule: a packet pointer plus a variable offset has no proven range until compared again with data_end
; expect: refuse "invalid access to packet"
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 1
if r4 > r3 goto out
r5 = *(u8 *)(r2 + 0)
r2 += r5
r0 = *(u8 *)(r2 + 0)
out:
r0 = 2
exit
