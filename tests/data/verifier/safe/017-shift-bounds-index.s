; rule: a right shift bounds a value: a u8 shifted right by 5 is in [0, 7]
; expect: accept
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u8 *)(r0 + 0)
r1 >>= 5
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
