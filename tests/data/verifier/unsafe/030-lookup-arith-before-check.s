; rule: no pointer arithmetic on map_value_or_null before the null check
; expect: refuse "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first"
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 += 4
if r0 == 0 goto out
r0 = *(u32 *)(r0 + 0)
out:
r0 = 0
exit
