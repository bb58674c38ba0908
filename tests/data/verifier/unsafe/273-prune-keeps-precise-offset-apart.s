; rule: two paths reach a join with different constants (0, 8) that later become a map value offset; the offset is precise, so the second path is not pruned against the first and its out-of-bounds read is found
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
r6 = 0
if r0 > 100 goto big
goto join
big:
r6 = 8
join:
r7 += r6
r0 = *(u64 *)(r7 + 0)
out:
r0 = 0
exit
