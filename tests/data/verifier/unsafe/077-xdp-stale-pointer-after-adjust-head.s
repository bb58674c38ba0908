; rule: helpers that move the packet (xdp_adjust_head) invalidate every packet pointer
; expect: refuse "R6 invalid mem access 'scalar'"
; type: xdp
r6 = r1
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r7 = r2
r1 = r6
r2 = 4
call 44
r6 = r7
r0 = *(u8 *)(r6 + 0)
out:
r0 = 2
exit
