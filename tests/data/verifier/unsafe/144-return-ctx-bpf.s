; rule: without CAP_PERFMON, the context pointer must not be returned
; expect: refuse "R0 leaks addr as return value"
; privilege: bpf
r0 = r1
exit
