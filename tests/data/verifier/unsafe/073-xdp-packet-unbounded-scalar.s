; rule: a packet pointer plus a scalar with no lower bound is not allowed
; expect: refuse "math between pkt pointer and register with unbounded min value is not allowed"
; type: xdp
r6 = r1
call 7
r0 <<= 32
r2 = *(u32 *)(r6 + 0)
r2 += r0
r0 = 2
exit
