; rule: a scalar cannot stand for a key pointer
; expect: refuse "R2 type=scalar expected=fp"
; map: hash:4:8:16
call 5
r2 = r0
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
