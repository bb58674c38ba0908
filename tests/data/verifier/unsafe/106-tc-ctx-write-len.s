; rule: TC programs may write some __sk_buff fields (mark, priority, cb...), but not len
; expect: refuse "invalid bpf_context access off=0 size=4"
; type: sched_cls
r2 = 0
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
