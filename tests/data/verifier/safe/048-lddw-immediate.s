; rule: a 64-bit immediate is a known scalar
; expect: accept
r0 = 0x123456789abcdef0 ll
r0 >>= 60
exit
