; rule: the key pointer passed to a lookup stays a stack pointer; writing beyond the frame through it is refused
; expect: refuse "invalid write to stack R6 off=0 size=4"
; map: hash:4:8:16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r6 = r2
ld_pseudo r1, 1, 0
call 1
*(u32 *)(r6 + 4) = 0
r0 = 0
exit
