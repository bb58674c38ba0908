; rule: a subprogram cannot return a pointer into its own frame, which dies with the return
; expect: refuse "cannot return stack pointer to the caller"
call f
r0 = 0
exit
f:
*(u64 *)(r10 - 8) = 0
r0 = r10
r0 += -8
exit
