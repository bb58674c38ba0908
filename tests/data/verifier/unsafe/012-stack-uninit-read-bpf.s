; rule: without CAP_PERFMON, stack bytes must be written before they are read
; expect: refuse "invalid read from stack R10 off=-8 size=8"
; privilege: bpf
r0 = *(u64 *)(r10 - 8)
exit
