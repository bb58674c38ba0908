; rule: a subprogram starts with only R1-R5 (arguments) and R10; R6-R9 are not passed
; expect: refuse "R6 !read_ok"
r6 = 1
call f
exit
f:
r0 = r6
exit
