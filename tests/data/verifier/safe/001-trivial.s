; rule: the smallest program: R0 set, then exit
; expect: accept
r0 = 0
exit
