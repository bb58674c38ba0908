; rule: a 64-bit unknown offset on a map value pointer is unbounded
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
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
