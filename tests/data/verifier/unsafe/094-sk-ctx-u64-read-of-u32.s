; rule: a u32 context field cannot be read with an 8-byte load
; expect: refuse "invalid bpf_context access off=0 size=8"
r0 = *(u64 *)(r1 + 0)
exit
