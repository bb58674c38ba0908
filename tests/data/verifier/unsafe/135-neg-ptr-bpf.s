; rule: without CAP_PERFMON, arithmetic that hides a pointer (negation) is refused
; expect: refuse "R2 pointer arithmetic prohibited"
; privilege: bpf
r2 = r10
r2 = -r2
r0 = 0
exit
