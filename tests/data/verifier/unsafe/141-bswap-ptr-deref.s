; rule: a byte swap turns a pointer into a scalar (root), which cannot be dereferenced
; expect: refuse "R2 invalid mem access 'scalar'"
r2 = r10
r2 = be64 r2
r2 = be64 r2
r0 = *(u64 *)(r2 - 8)
exit
