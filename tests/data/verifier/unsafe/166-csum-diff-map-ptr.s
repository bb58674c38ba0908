; rule: memory arguments cannot be map pointers
; expect: refuse "R1 type=map_ptr expected=fp"
; type: sched_cls
; map: array:4:8:1
ld_pseudo r1, 1, 0
r2 = 4
r3 = 0
r4 = 0
r5 = 0
call 28
r0 = 0
exit
