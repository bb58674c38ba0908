; rule: the null check on a copy reaches the original
; expect: accept
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r7 = r0
r8 = r7
if r8 != 0 goto ok
r0 = 0
exit
ok:
r0 = *(u64 *)(r0 + 0)
exit
