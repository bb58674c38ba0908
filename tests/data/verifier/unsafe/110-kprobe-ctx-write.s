; rule: a kprobe's context (pt_regs) is read-only
; expect: refuse "invalid bpf_context access off=0 size=8"
; type: kprobe
r2 = 0
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
