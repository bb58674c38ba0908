; rule: an atomic operation needs a pointer base
; expect: refuse "R2 invalid mem access 'scalar'"
r2 = 0
r3 = 1
lock *(u64 *)(r2 + 0) += r3
r0 = 0
exit
