; rule: without CAP_PERFMON, two pointers of different kinds cannot be compared
; expect: refuse "pointer comparison prohibited"
; privilege: bpf
r2 = r10
r0 = 0
if r2 > r1 goto +1
r0 = 1
exit
