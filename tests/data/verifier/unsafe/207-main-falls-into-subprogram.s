; rule: a function must end with exit or a jump; it cannot run into the next function
; expect: refuse "last insn is not an exit or jmp"
r0 = 0
call f
r0 = 0
f:
r0 = 1
exit
