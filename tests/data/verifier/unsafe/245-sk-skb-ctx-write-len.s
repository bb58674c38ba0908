; rule: sk_skb programs cannot write __sk_buff.len
; expect: refuse "invalid bpf_context access off=0 size=4"
; type: sk_skb
r2 = 0
*(u32 *)(r1 + 0) = r2
r0 = 1
exit
