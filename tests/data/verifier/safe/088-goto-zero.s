; rule: a jump to the next instruction (goto +0) is harmless
; expect: accept
r0 = 0
goto +0
if r0 == 0 goto +0
exit
