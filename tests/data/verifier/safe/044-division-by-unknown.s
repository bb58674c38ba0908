; rule: division by a value that may be zero is fine too
; expect: accept
call 7
r1 = r0
r0 = 100
r0 /= r1
w0 /= w1
exit
