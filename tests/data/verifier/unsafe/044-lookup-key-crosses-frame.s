; rule: the key (8 bytes here) must lie wholly within the stack frame
; expect: refuse "invalid read from stack R2 off=-4 size=8"
; map: hash:8:8:16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
