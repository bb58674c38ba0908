; rule: a map value pointer with a variable offset passed as helper memory must fit for the largest offset
; expect: refuse "invalid access to map value, value_size=32 off=31 size=4"
; map: array:4:32:1
; map: hash:4:8:16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r2 = *(u32 *)(r0 + 0)
r2 &= 31
r2 += r0
ld_pseudo r1, 1, 1
call 1
out:
r0 = 0
exit
