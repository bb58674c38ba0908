; rule: __sk_buff.hash is read-only for socket filters
; expect: refuse "invalid bpf_context access off=68 size=4"
r2 = 0
*(u32 *)(r1 + 68) = r2
r0 = 0
exit
