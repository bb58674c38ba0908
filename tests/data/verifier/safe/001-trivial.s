; rule: the smallest program: R0 set, exit
; expect: accept
r0 = 0
exit
