; rule: LD_ABS behaves like a call: R1-R5 are clobbered afterwards
; expect: refuse "R1 !read_ok"
r6 = r1
r0 = *(u8 *)skb[0]
r0 = r1
exit
