; rule: a bound proven on the low 32 bits (jmp32) says nothing about the upper 32 bits of a 64-bit index
; expect: refuse "math between map_value pointer and register with unbounded min value is not allowed"
; map: array:4:16:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
if w1 > 15 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
