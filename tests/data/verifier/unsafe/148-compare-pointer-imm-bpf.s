; rule: without CAP_PERFMON, a pointer cannot be compared with a number other than the null check of a maybe-null pointer
; expect: refuse "R1 pointer comparison prohibited"
; privilege: bpf
r0 = 0
if r1 == 0x1234 goto +1
r0 = 1
exit
