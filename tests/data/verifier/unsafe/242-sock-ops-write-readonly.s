; rule: sock_ops programs may write reply and a few fields, not op
; expect: refuse "invalid bpf_context access off=0 size=4"
; type: sock_ops
r2 = 0
*(u32 *)(r1 + 0) = r2
r0 = 1
exit
