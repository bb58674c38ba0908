; rule: probe_read_kernel is offered to every program type only with CAP_PERFMON
; privilege: bpf
; expect: refuse "bpf_probe_read_kernel#113"
r1 = r10
r1 += -8
r2 = 8
r3 = 0
call 113
r0 = 0
exit
