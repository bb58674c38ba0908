; rule: the null check on R0 reaches its copy R6 (same id)
; expect: accept
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r6 = r0
if r0 == 0 goto out
r0 = *(u64 *)(r6 + 0)
exit
out:
r0 = 0
exit
