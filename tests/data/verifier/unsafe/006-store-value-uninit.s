; rule: a register stored to memory must be initialised
; expect: refuse "R4 !read_ok"
*(u64 *)(r10 - 8) = r4
r0 = 0
exit
