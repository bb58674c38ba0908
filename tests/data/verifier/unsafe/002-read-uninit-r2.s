; rule: a register may be read only after it is written (R2..R5 are not initialised at entry)
; expect: refuse "R2 !read_ok"
r0 = r2
exit
