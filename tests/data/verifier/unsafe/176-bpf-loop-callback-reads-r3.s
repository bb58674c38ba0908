; rule: a bpf_loop callback gets index (R1) and ctx (R2) only; R3 is not initialised
; expect: refuse "R3 !read_ok"
r1 = 4
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = r3
r0 &= 1
exit
