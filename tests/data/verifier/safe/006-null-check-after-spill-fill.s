; rule: a map_value_or_null spilled before the check and filled after it is checked too (same id in the slot)
; expect: accept
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
*(u64 *)(r10 - 16) = r0
if r0 == 0 goto out
r3 = *(u64 *)(r10 - 16)
r0 = *(u64 *)(r3 + 0)
exit
out:
r0 = 0
exit
