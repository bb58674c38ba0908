; rule: tail calls may be made from a subprogram (x86-64 JIT, Linux 5.10+)
; expect: accept
; map: prog_array:4:4:4
call f
r0 = 0
exit
f:
ld_pseudo r2, 1, 0
r3 = 0
call 12
r0 = 0
exit
