; rule: a map value pointer passed to a subprogram keeps its type and bounds
; expect: accept
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = r0
call f
out:
r0 = 0
exit
f:
r0 = *(u64 *)(r1 + 0)
*(u32 *)(r1 + 4) = 1
r0 = 0
exit
