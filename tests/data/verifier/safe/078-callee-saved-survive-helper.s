; rule: R6-R9 survive helper calls
; expect: accept
r6 = r1
r7 = 1
r8 = 2
r9 = 3
call 7
r0 = *(u32 *)(r6 + 0)
r0 += r7
r0 += r8
r0 += r9
exit
