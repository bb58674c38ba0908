; rule: a subprogram may write through a pointer into its caller's frame
; expect: accept
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
call f
r0 = *(u64 *)(r10 - 8)
exit
f:
*(u64 *)(r1 + 0) = 42
r0 = 0
exit
