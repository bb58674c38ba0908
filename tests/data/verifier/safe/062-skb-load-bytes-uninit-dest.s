; rule: a helper's output buffer (ARG_PTR_TO_UNINIT_MEM) need not be initialised, even without CAP_PERFMON
; expect: accept
; privilege: bpf
r2 = 0
r3 = r10
r3 += -16
r4 = 16
call 26
r0 = *(u64 *)(r10 - 8)
exit
