; rule: indirect calls (callx) are not supported by the kernel's verifier
; expect: refuse "unknown opcode 8d"
r1 = 0
callx r1
r0 = 0
exit
