; rule: a loop counting down to zero is bounded
; expect: accept
r0 = 0
r1 = 10
loop:
r0 += 3
r1 -= 1
if r1 != 0 goto loop
exit
