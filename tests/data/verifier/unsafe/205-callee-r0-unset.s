; rule: a subprogram must set R0 before returning
; expect: refuse "R0 !read_ok"
call f
exit
f:
exit
