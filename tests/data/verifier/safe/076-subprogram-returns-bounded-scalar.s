; rule: a subprogram's return value keeps its range in the caller
; expect: accept
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = r0
call f
r6 += r0
r0 = *(u8 *)(r6 + 0)
exit
out:
r0 = 0
exit
f:
call 7
r0 &= 7
exit
