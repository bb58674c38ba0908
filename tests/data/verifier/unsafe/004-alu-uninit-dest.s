; rule: a compound ALU operation reads its destination, which must be initialised
; expect: refuse "R3 !read_ok"
r3 += 1
r0 = 0
exit
