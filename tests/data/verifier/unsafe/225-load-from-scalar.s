; rule: loads need a pointer base; a number is not one
; expect: refuse "R2 invalid mem access 'scalar'"
r2 = 0x1000
r0 = *(u64 *)(r2 + 0)
exit
