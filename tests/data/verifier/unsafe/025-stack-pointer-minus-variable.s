; rule: a variable may not be subtracted from a stack pointer (at any privilege; adding a negative variable is the way)
; expect: refuse "R3 subtraction from stack pointer prohibited"
r2 = *(u32 *)(r1 + 0)
r2 &= 3
r3 = r10
r3 += -4
r3 -= r2
r0 = *(u8 *)(r3 + 0)
exit
