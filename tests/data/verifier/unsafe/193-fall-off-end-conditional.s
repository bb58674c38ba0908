; rule: a conditional jump as the last instruction falls through past the end
; expect: refuse "last insn is not an exit or jmp"
r0 = 0
if r0 == 0 goto -2
