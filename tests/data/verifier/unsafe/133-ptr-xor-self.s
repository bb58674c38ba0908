; rule: two pointers cannot be combined, even by xor of a pointer with itself (which would give a known 0)
; expect: refuse "R2 pointer ^= pointer prohibited"
r2 = r10
r2 ^= r2
r0 = 0
exit
