; rule: a bpf_loop callback must return 0 (continue) or 1 (stop)
; expect: refuse "should have been in [0, 1]"
r1 = 4
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = 2
exit
