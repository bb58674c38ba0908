; rule: no division of pointers
; expect: refuse "R2 pointer arithmetic with /= operator prohibited"
r2 = r10
r2 /= 2
r0 = 0
exit
