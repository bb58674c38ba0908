; rule: xdp_md.data is a u32 field; an 8-byte read is refused
; expect: refuse "invalid bpf_context access off=0 size=8"
; type: xdp
r2 = *(u64 *)(r1 + 0)
r0 = 2
exit
