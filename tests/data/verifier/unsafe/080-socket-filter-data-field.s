; rule: socket filters have no direct packet access: __sk_buff.data is not readable
; expect: refuse "invalid bpf_context access off=76 size=4"
r2 = *(u32 *)(r1 + 76)
r0 = 0
exit
