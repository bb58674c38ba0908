; rule: LD_ABS takes the skb from R6, which must hold the context
; expect: refuse "at the time of BPF_LD_ABS|IND R6 != pointer to skb"
r6 = 0
r0 = *(u8 *)skb[0]
exit
