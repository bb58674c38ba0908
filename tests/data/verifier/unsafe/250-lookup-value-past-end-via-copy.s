; rule: bounds of a map value apply to every copy of the pointer
; expect: refuse "invalid access to map value, value_size=4 off=4 size=4"
; map: array:4:4:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r7 = r0
r7 += 4
r0 = *(u32 *)(r7 + 0)
out:
r0 = 0
exit
