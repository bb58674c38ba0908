; rule: socket filters cannot read __sk_buff.data_end
; expect: refuse "invalid bpf_context access off=80 size=4"
r2 = *(u32 *)(r1 + 80)
r0 = 0
exit
