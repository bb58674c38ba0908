; rule: arguments keep their types across calls: a scalar passed to a subprogram is not a pointer there
; expect: refuse "R1 invalid mem access 'scalar'"
r1 = 8
call f
exit
f:
r0 = *(u64 *)(r1 + 0)
exit
