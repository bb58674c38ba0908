; rule: a conditional jump reads its register, which must be initialised
; expect: refuse "R3 !read_ok"
r0 = 0
if r3 > 0x5 goto +1
r0 = 1
exit
