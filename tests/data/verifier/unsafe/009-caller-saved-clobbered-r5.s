; rule: a helper call clobbers R1-R5, even ones the helper does not take
; expect: refuse "R5 !read_ok"
r5 = 1
call 7
r0 = r5
exit
