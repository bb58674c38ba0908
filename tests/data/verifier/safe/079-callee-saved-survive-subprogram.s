; rule: R6-R9 survive bpf-to-bpf calls, even if the callee uses its own R6-R9
; expect: accept
r6 = r1
call f
r0 = *(u32 *)(r6 + 0)
exit
f:
r6 = 5
r7 = r6
r0 = r7
exit
