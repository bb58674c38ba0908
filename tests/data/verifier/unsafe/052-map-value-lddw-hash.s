; rule: only maps that give direct value addresses (arrays) can be named by an lddw of a map value
; expect: refuse "no direct value access support for this map type"
; map: hash:4:8:16
ld_pseudo r1, 2, 0, 0
r0 = 0
exit
