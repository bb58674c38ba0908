; rule: a helper's arguments must be initialised (R1 is clobbered by the first call)
; expect: refuse "R1 !read_ok"
call 7
call 1
r0 = 0
exit
