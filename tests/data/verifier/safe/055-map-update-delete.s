; rule: update and delete with key and value on the stack, flags as constants
; expect: accept
; map: hash:4:8:16
*(u32 *)(r10 - 4) = 1
*(u64 *)(r10 - 16) = 42
r2 = r10
r2 += -4
r3 = r10
r3 += -16
r4 = 0
ld_pseudo r1, 1, 0
call 2
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 3
r0 = 0
exit
