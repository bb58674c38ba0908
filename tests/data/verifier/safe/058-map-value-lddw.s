; rule: an lddw of an array map value (pseudo source 2) is a map value pointer with the given offset
; expect: accept
; map: array:4:16:1
ld_pseudo r1, 2, 0, 8
r0 = *(u64 *)(r1 + 0)
*(u32 *)(r1 - 8) = 1
exit
