; rule: the packet pointer fields of __sk_buff cannot be read narrowly
; expect: refuse "invalid bpf_context access off=76 size=2"
; type: sched_cls
r2 = *(u16 *)(r1 + 76)
r0 = 0
exit
