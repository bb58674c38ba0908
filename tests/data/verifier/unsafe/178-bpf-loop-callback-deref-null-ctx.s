; rule: a null ctx reaches the callback as the scalar 0
; expect: refuse "R2 invalid mem access 'scalar'"
r1 = 4
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = *(u64 *)(r2 + 0)
r0 = 0
exit
