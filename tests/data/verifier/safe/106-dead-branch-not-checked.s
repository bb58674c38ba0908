; rule: a branch whose condition is known false is never explored, so what it holds is never checked
; expect: accept
r1 = 5
if r1 > 10 goto dead
r0 = 0
exit
dead:
r0 = *(u64 *)(r1 + 0)
exit
