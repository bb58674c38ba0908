; rule: no pointer arithmetic on a map pointer
; expect: refuse "R1 pointer arithmetic on map_ptr prohibited"
; map: array:4:8:1
ld_pseudo r1, 1, 0
r1 += 8
r0 = 0
exit
