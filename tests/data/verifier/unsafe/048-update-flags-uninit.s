; rule: every argument a helper takes must be initialised, flags included
; expect: refuse "R4 !read_ok"
; map: hash:4:8:16
*(u64 *)(r10 - 8) = 0
*(u32 *)(r10 - 12) = 0
r2 = r10
r2 += -12
r3 = r10
r3 += -8
ld_pseudo r1, 1, 0
call 2
r0 = 0
exit
