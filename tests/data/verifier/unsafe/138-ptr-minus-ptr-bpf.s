; rule: without CAP_PERFMON, pointers cannot be subtracted (the difference would leak layout)
; expect: refuse "R2 pointer -= pointer prohibited"
; privilege: bpf
r2 = r10
r3 = r10
r3 += -8
r2 -= r3
r0 = 0
exit
