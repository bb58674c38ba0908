; rule: code jumped over and never targeted is unreachable
; expect: refuse "unreachable insn 1"
goto +1
r0 = 1
r0 = 0
exit
