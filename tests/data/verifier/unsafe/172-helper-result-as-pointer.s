; rule: a helper's scalar result cannot be used as a pointer
; expect: refuse "R0 invalid mem access 'scalar'"
call 7
r0 = *(u64 *)(r0 + 0)
exit
