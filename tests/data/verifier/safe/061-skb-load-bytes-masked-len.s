; rule: a size argument bounded by masking (and at least 1) fits its buffer
; expect: accept
r4 = *(u32 *)(r1 + 0)
r4 &= 7
r4 += 1
r2 = 0
r3 = r10
r3 += -8
call 26
r0 = 0
exit
