; rule: a 32-bit move of a pointer (root) keeps only a scalar, which cannot be dereferenced
; expect: refuse "R2 invalid mem access 'scalar'"
w2 = w10
r0 = *(u64 *)(r2 - 8)
exit
