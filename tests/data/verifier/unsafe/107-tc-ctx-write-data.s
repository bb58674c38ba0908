; rule: __sk_buff.data is read-only
; expect: refuse "invalid bpf_context access off=76 size=4"
; type: sched_cls
r2 = 0
*(u32 *)(r1 + 76) = r2
r0 = 0
exit
