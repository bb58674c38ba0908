; rule: a stack pointer's fixed offset and the instruction's offset add up; -8+16 is above the frame
; expect: refuse "invalid read from stack R2 off=8 size=8"
r2 = r10
r2 += -8
r0 = *(u64 *)(r2 + 16)
exit
