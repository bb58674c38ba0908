; rule: xdp_md is 24 bytes
; expect: refuse "invalid bpf_context access off=24 size=4"
; type: xdp
r0 = *(u32 *)(r1 + 24)
r0 = 2
exit
