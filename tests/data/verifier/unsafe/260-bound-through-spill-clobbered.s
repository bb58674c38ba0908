; rule: a spilled bounded scalar whose slot is partly overwritten fills back unbounded
; expect: refuse "math between map_value pointer and register with unbounded min value is not allowed"
; map: array:4:16:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
r1 &= 15
*(u64 *)(r10 - 16) = r1
r2 = *(u32 *)(r0 + 8)
*(u8 *)(r10 - 14) = r2
r1 = *(u64 *)(r10 - 16)
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
