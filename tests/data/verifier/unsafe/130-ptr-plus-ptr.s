; rule: two pointers cannot be added
; expect: refuse "R2 pointer += pointer prohibited"
r2 = r10
r3 = r10
r2 += r3
r0 = 0
exit
