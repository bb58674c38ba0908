; rule: a bpf_loop callback may itself call bpf_loop
; expect: accept
r1 = 4
ld_pseudo r2, 4, outer
r3 = 0
r4 = 0
call 181
r0 = 0
exit
outer:
r1 = 4
ld_pseudo r2, 4, inner
r3 = 0
r4 = 0
call 181
r0 = 0
exit
inner:
r0 = 0
exit
