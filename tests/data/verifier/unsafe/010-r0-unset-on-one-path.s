; rule: R0 must be written on every path that reaches exit
; expect: refuse "R0 !read_ok"
r2 = *(u32 *)(r1 + 0)
if r2 > 0x5 goto out
r0 = 0
out:
exit
