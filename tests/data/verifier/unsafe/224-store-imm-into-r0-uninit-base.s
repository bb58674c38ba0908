; rule: a store's base must be a pointer, even for an immediate store
; expect: refuse "R0 !read_ok"
*(u32 *)(r0 + 0) = 1
r0 = 0
exit
