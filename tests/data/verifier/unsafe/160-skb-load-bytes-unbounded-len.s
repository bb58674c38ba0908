; rule: a size argument must be a bounded scalar
; expect: refuse "R4 unbounded memory access"
*(u64 *)(r10 - 8) = 0
r4 = *(u32 *)(r1 + 0)
r4 += 1
r2 = 0
r3 = r10
r3 += -8
call 26
r0 = 0
exit
