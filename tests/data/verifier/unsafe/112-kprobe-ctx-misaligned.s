; rule: kprobe context reads must be aligned to their size
; expect: refuse "invalid bpf_context access off=4 size=8"
; type: kprobe
r0 = *(u64 *)(r1 + 4)
exit
