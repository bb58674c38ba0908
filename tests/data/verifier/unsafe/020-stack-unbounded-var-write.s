; rule: a variable-offset stack access needs bounds on the offset
; expect: refuse "invalid unbounded variable-offset write to stack R3"
r2 = *(u32 *)(r1 + 0)
r3 = r10
r3 += r2
*(u8 *)(r3 - 1) = 0
r0 = 0
exit
