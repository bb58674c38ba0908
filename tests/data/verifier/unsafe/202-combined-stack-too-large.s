; rule: the stacks of a call chain together must fit 512 bytes
; expect: refuse "combined stack size of 2 calls is"
*(u64 *)(r10 - 512) = 0
call f
r0 = 0
exit
f:
*(u64 *)(r10 - 256) = 0
r0 = 0
exit
