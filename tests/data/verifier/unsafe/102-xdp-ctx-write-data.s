; rule: xdp_md is read-only
; expect: refuse "invalid bpf_context access off=0 size=4"
; type: xdp
r2 = 0
*(u32 *)(r1 + 0) = r2
r0 = 2
exit
