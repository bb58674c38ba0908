; rule: an ALU operation reads its source register, which must be initialised
; expect: refuse "R5 !read_ok"
r0 = 1
r0 += r5
exit
