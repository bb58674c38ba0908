; rule: a helper result bounded by a check can index a per-CPU array value
; expect: accept
; map: percpu_array:4:64:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = r0
call 8
if r0 > 63 goto out
r6 += r0
r0 = *(u8 *)(r6 + 0)
exit
out:
r0 = 0
exit
