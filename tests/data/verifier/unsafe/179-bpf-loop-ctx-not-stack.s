; rule: bpf_loop's ctx must be a stack pointer or null
; expect: refuse "R3 type=ctx expected=fp"
r3 = r1
r1 = 4
ld_pseudo r2, 4, cb
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = 0
exit
