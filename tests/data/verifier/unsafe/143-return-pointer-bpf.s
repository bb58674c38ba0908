; rule: without CAP_PERFMON, a pointer must not be returned (address leak)
; expect: refuse "R0 leaks addr as return value"
; privilege: bpf
r0 = r10
exit
