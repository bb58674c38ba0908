; rule: no 32-bit arithmetic on pointers
; expect: refuse "R2 32-bit pointer arithmetic prohibited"
; type: xdp
r2 = *(u32 *)(r1 + 0)
w2 += 1
r0 = 2
exit
