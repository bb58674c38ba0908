; rule: the stack lies below R10; R10+0 is outside the frame
; expect: refuse "invalid write to stack R10 off=0 size=8"
*(u64 *)(r10 + 0) = 0
r0 = 0
exit
