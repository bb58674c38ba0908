; rule: without CAP_PERFMON, XDP may not return a pointer either
; expect: refuse "R0 leaks addr as return value"
; type: xdp
; privilege: bpf
r0 = r1
exit
