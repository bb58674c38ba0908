; rule: on the branch where the lookup result equals 0 it is the scalar 0, not a pointer
; expect: refuse "R0 invalid mem access 'scalar'"
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 != 0 goto ok
r0 = *(u64 *)(r0 + 0)
ok:
r0 = 0
exit
