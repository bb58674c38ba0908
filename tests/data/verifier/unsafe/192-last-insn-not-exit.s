; rule: the last instruction must be an exit or a jump (no falling off the end)
; expect: refuse "last insn is not an exit or jmp"
r0 = 0
