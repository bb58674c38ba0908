; rule: no modulo on pointers
; expect: refuse "R2 pointer arithmetic with %= operator prohibited"
r2 = r10
r2 %= 8
r0 = 0
exit
