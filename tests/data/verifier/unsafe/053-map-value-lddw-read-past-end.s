; rule: an access through an lddw map value pointer must stay within value_size
; expect: refuse "invalid access to map value, value_size=8 off=4 size=8"
; map: array:4:8:1
ld_pseudo r1, 2, 0, 4
r0 = *(u64 *)(r1 + 0)
exit
