; rule: a stack pointer moved 600 bytes down is outside the frame when used
; expect: refuse "invalid write to stack R2 off=-600 size=4"
r2 = r10
r2 += -600
*(u32 *)(r2 + 0) = 0
r0 = 0
exit
