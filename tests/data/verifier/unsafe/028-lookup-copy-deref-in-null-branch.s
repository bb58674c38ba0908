; rule: a null check marks every copy of the pointer: on the null side a copy is the scalar 0 too
; expect: refuse "R6 invalid mem access 'scalar'"
; map: hash:4:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r6 = r0
if r0 != 0 goto ok
r0 = *(u64 *)(r6 + 0)
ok:
r0 = 0
exit
