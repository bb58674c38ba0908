; rule: a helper's memory argument must fit in the frame: 16 bytes from R10-8 cross the top of the stack
; expect: refuse "invalid write to stack R3 off=-8 size=16"
r2 = 0
r3 = r10
r3 += -8
r4 = 16
call 26
r0 = 0
exit
