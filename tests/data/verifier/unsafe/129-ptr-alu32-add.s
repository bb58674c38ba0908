; rule: no 32-bit arithmetic on pointers
; expect: refuse "R2 32-bit pointer arithmetic prohibited"
r2 = r10
w2 += 8
r0 = 0
exit
