; rule: a call chain whose stacks add up to exactly 512 bytes is allowed
; expect: accept
*(u64 *)(r10 - 256) = 0
call f
r0 = 0
exit
f:
*(u64 *)(r10 - 256) = 0
r0 = 0
exit
