; rule: negating a pointer (allowed to root) turns it into a scalar, which cannot be dereferenced
; expect: refuse "R2 invalid mem access 'scalar'"
r2 = r10
r2 += -8
r2 = -r2
r2 = -r2
r0 = *(u64 *)(r2 + 0)
exit
