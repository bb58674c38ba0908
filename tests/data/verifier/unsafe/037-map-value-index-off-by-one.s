; rule: the bound must exclude the value's size itself: index <= 8 allows offset 8 of an 8-byte value
; expect: refuse "invalid access to map value, value_size=8 off=8 size=1"
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
if r1 > 8 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
