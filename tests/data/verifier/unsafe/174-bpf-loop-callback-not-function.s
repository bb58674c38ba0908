; rule: bpf_loop's second argument must be a function (an lddw of a function)
; expect: refuse "R2 type=scalar expected=func"
r1 = 4
r2 = 0
r3 = 0
r4 = 0
call 181
r0 = 0
exit
