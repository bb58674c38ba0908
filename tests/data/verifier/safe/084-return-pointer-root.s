; rule: with CAP_PERFMON a socket filter may return a pointer
; expect: accept
r0 = r10
exit
