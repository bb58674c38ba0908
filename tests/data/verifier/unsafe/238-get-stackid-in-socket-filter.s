; rule: get_stackid is for tracing programs
; expect: refuse "program of this type cannot use helper bpf_get_stackid#27"
; map: stack_trace:4:8:16
r6 = r1
ld_pseudo r2, 1, 0
r3 = 0
call 27
r0 = 0
exit
