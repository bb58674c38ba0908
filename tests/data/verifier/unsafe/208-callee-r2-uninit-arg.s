; rule: registers the caller did not set are not initialised in the callee either
; expect: refuse "R2 !read_ok"
call f
exit
f:
r0 = r2
exit
