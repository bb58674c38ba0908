; rule: socket filters may read and write cb[]
; expect: accept
r2 = 7
*(u32 *)(r1 + 48) = r2
*(u32 *)(r1 + 64) = r2
r0 = *(u32 *)(r1 + 52)
exit
