; rule: a null constant is not a pointer
; expect: refuse "R2 invalid mem access 'scalar'"
r2 = 0
r0 = *(u8 *)(r2 + 0)
exit
