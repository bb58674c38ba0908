; rule: a spin lock lives in a map value, not on the stack
; expect: refuse "R1 type=fp expected=map_value"
; type: sched_cls
*(u64 *)(r10 - 8) = 0
r1 = r10
; type: sched_cls
r1 += -8
call 93
; type: sched_cls
r0 = 0
exit
