; rule: without CAP_PERFMON, a pointer difference (pointer - pointer) cannot be computed and returned
; expect: refuse "R0 pointer -= pointer prohibited"
; privilege: bpf
r0 = r10
r0 -= r1
exit
