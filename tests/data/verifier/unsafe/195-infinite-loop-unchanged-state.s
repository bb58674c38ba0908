; rule: a loop whose state repeats exactly is infinite
; expect: refuse "infinite loop detected"
r0 = 0
r1 = 5
loop:
if r1 > 0 goto loop
exit
