; rule: signed division and modulo (cpu v4) are allowed, also by -1 and 0
; expect: accept
r0 = -7
r1 = -1
r0 s/= r1
r2 = 0
r0 s%= r2
exit
