; rule: LD_IND reads its index register, which must be initialised
; expect: refuse "R2 !read_ok"
r6 = r1
r0 = *(u8 *)skb[r2 + 0]
exit
