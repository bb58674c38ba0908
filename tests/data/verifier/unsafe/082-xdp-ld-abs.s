; rule: legacy packet loads (LD_ABS/LD_IND) exist only for socket filters and similar skb programs
; expect: refuse "BPF_LD_[ABS|IND] instructions not allowed for this program type"
; type: xdp
r6 = r1
r0 = *(u8 *)skb[0]
exit
