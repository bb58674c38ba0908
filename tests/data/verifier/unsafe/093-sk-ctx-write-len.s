; rule: __sk_buff.len is read-only
; expect: refuse "invalid bpf_context access off=0 size=4"
r2 = 1
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
