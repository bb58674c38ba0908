; rule: R0 must be written before exit
; expect: refuse "R0 !read_ok"
exit
