; rule: a tail call with ctx, a program array and an index; falling through after it is normal
; expect: accept
; map: prog_array:4:4:4
ld_pseudo r2, 1, 0
r3 = 1
call 12
r0 = 0
exit
