; rule: a pointer into the caller's frame passed down is checked against the caller's frame
; expect: refuse "invalid write to stack R1 off=0 size=8"
r1 = r10
call f
r0 = 0
exit
f:
*(u64 *)(r1 + 0) = 0
r0 = 0
exit
