; rule: bpf_redirect is a TC/XDP helper, not a socket filter one
; expect: refuse "program of this type cannot use helper bpf_redirect#23"
r1 = 1
r2 = 0
call 23
r0 = 0
exit
