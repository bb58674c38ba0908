; rule: without CAP_PERFMON, a 32-bit copy of a pointer is a partial pointer leak
; expect: refuse "R10 partial copy of pointer"
; privilege: bpf
w2 = w10
r0 = 0
exit
