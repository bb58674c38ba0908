; rule: the key argument must be a pointer to memory of key_size bytes, not a number
; expect: refuse "R2 type=scalar expected=fp"
; map: hash:4:8:16
r2 = 0
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
