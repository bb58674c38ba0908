; rule: csum_diff's sizes are ARG_CONST_SIZE_OR_ZERO: a null buffer with size 0 is allowed
; expect: accept
; type: sched_cls
*(u64 *)(r10 - 8) = 0
r1 = 0
r2 = 0
r3 = r10
r3 += -8
r4 = 8
r5 = 0
call 28
r0 = 0
exit
