; rule: a size bounded by 16 still overflows an 8-byte stack buffer
; expect: refuse "invalid write to stack R3 off=-8 size=16"
r4 = *(u32 *)(r1 + 0)
r4 &= 15
r4 += 1
r2 = 0
r3 = r10
r3 += -8
call 26
r0 = 0
exit
