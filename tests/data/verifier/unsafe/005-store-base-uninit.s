; rule: the base register of a store must be initialised
; expect: refuse "R3 !read_ok"
*(u64 *)(r3 + 0) = 0
r0 = 0
exit
