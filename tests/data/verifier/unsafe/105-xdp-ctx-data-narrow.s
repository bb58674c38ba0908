; rule: xdp_md fields are read whole (4 bytes); no narrow loads
; expect: refuse "invalid bpf_context access off=0 size=2"
; type: xdp
r2 = *(u16 *)(r1 + 0)
r0 = 2
exit
