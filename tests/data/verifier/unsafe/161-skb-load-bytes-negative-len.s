; rule: a size argument may not be negative
; expect: refuse "R4 min value is negative"
r2 = 0
r3 = r10
r3 += -8
r4 = -1
call 26
r0 = 0
exit
