; rule: a for_each_map_elem callback must return 0 or 1
; expect: refuse "should have been in [0, 1]"
; map: array:4:8:4
ld_pseudo r1, 1, 0
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 164
r0 = 0
exit
cb:
r0 = 5
exit
