; rule: the callback's ctx points into the caller's frame; writing past its top leaves the stack
; expect: refuse "invalid write to stack R2 off=0 size=8"
*(u64 *)(r10 - 8) = 0
r1 = 4
ld_pseudo r2, 4, cb
r3 = r10
r3 += -8
r4 = 0
call 181
r0 = 0
exit
cb:
*(u64 *)(r2 + 8) = 1
r0 = 0
exit
