; rule: a loop whose state never changes never ends
; expect: refuse "infinite loop detected at insn 1"
r0 = 0
loop:
goto loop
