; rule: a bpf_loop callback returning 1 stops the loop; both 0 and 1 are valid returns
; expect: accept
r1 = 1000000
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 181
exit
cb:
r0 = 0
if r1 < 10 goto +1
r0 = 1
exit
