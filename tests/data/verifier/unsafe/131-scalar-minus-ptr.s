; rule: a pointer cannot be subtracted from a scalar
; expect: refuse "R3 tried to subtract pointer from scalar"
r2 = r10
r3 = 100
r3 -= r2
r0 = 0
exit
