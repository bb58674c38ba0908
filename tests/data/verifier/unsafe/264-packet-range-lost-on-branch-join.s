; rule: after two paths join, the packet range is the smaller of the two (0 on the unchecked path)
; expect: refuse "invalid access to packet"
; type: xdp
r6 = r1
call 7
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
if r0 > 10 goto join
r4 = r2
r4 += 8
if r4 > r3 goto out
join:
r0 = *(u8 *)(r2 + 0)
out:
r0 = 2
exit
