; rule: a kprobe's context is struct pt_regs (168 bytes on x86-64)
; expect: refuse "invalid bpf_context access off=168 size=8"
; type: kprobe
r0 = *(u64 *)(r1 + 168)
exit
