; rule: R0 must be written before exit (the return value is read at exit)
; expect: refuse "R0 !read_ok"
exit
