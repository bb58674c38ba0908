; rule: queues take values, not keys: push and pop with value_size bytes of stack
; expect: accept
; map: queue:0:8:16
*(u64 *)(r10 - 8) = 5
r2 = r10
r2 += -8
r3 = 0
ld_pseudo r1, 1, 0
call 87
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 88
r0 = 0
exit
