; rule: without CAP_PERFMON, bpf_trace_printk is not offered
; expect: refuse "bpf_trace_printk#6"
; privilege: bpf
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
r2 = 8
call 6
r0 = 0
exit
