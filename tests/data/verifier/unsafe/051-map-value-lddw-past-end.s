; rule: an lddw of a map value (pseudo source 2) must point inside the value
; expect: refuse "invalid access to map value pointer, value_size=8 off=8"
; map: array:4:8:1
ld_pseudo r1, 2, 0, 8
r0 = 0
exit
