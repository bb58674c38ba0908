; rule: skb helpers are not available to XDP
; expect: refuse "program of this type cannot use helper bpf_skb_load_bytes#26"
; type: xdp
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 26
r0 = 2
exit
