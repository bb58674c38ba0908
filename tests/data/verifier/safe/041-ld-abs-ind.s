; rule: socket filters may use legacy packet loads (LD_ABS/LD_IND, skb in R6), bounds checked at run time
; expect: accept
r6 = r1
r0 = *(u16 *)skb[12]
r7 = r0
r7 &= 0xf
r0 = *(u8 *)skb[r7 + 14]
exit
