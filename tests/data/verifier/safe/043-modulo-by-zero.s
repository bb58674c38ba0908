; rule: modulo by zero is not an error: BPF defines x % 0 = x
; expect: accept
r0 = *(u32 *)(r1 + 0)
r2 = 0
r0 %= r2
w0 %= w2
exit
