; rule: the context cannot be indexed by a variable
; expect: refuse "variable ctx access var_off="
r2 = *(u32 *)(r1 + 0)
r2 &= 4
r1 += r2
r0 = *(u32 *)(r1 + 0)
exit
