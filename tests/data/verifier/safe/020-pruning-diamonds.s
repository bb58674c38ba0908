; rule: eight diamonds in a row (256 paths) verify quickly because equivalent states are pruned
; expect: accept
call 7
r6 = r0
r0 = 0
if r6 > 1 goto +1
r0 += 1
if r6 > 2 goto +1
r0 += 1
if r6 > 3 goto +1
r0 += 1
if r6 > 4 goto +1
r0 += 1
if r6 > 5 goto +1
r0 += 1
if r6 > 6 goto +1
r0 += 1
if r6 > 7 goto +1
r0 += 1
if r6 > 8 goto +1
r0 += 1
exit
