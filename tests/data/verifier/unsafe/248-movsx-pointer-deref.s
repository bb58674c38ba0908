; rule: a sign-extending move of a pointer (root) keeps only a scalar
; expect: refuse "R2 invalid mem access 'scalar'"
r2 = (s32)r10
r0 = *(u64 *)(r2 - 8)
exit
