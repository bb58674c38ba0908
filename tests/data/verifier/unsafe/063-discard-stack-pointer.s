; rule: ringbuf_discard takes a reserved record, not stack memory
; expect: refuse "R1 type=fp expected=ringbuf_mem"
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
r2 = 0
call 133
r0 = 0
exit
