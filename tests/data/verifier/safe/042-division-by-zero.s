; rule: division by zero is not an error: BPF defines x / 0 = 0
; expect: accept
r0 = 5
r1 = 0
r0 /= r1
exit
