; rule: as the offset case, but the value crosses the join only in a stack spill: precision follows the fill back to the spilled slot, so the path that spilled 8 is explored and its out-of-bounds read found
; expect: refuse "invalid access to map value, value_size=8 off=8 size=8"
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r7 = r0
call 7
if r0 > 100 goto big
r1 = 0
*(u64 *)(r10 - 16) = r1
goto join
big:
r1 = 8
*(u64 *)(r10 - 16) = r1
join:
r1 = *(u64 *)(r10 - 16)
r7 += r1
r0 = *(u64 *)(r7 + 0)
out:
r0 = 0
exit
