; rule: a loop with a constant trip count is explored until it ends (bounded loops, Linux 5.3+)
; expect: accept
r0 = 0
r1 = 0
loop:
r0 += r1
r1 += 1
if r1 < 16 goto loop
exit
