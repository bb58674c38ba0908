; rule: a helper call clobbers R1-R5; reading R1 after it is reading an uninitialised register
; expect: refuse "R1 !read_ok"
call 7
r0 = r1
exit
