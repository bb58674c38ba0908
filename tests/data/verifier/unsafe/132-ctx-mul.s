; rule: no multiplication of the context pointer
; expect: refuse "R1 pointer arithmetic with *= operator prohibited"
r1 *= 3
r0 = 0
exit
