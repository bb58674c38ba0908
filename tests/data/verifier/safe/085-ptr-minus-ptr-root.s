; rule: with CAP_PERFMON subtracting two pointers gives a scalar
; expect: accept
r0 = r10
r2 = r10
r2 += -8
r0 -= r2
exit
