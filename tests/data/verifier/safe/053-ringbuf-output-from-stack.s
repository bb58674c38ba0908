; rule: ringbuf_output copies initialised stack memory of a constant size
; expect: accept
; map: ringbuf:0:0:4096
*(u64 *)(r10 - 8) = 0
*(u64 *)(r10 - 16) = 0
ld_pseudo r1, 1, 0
r2 = r10
r2 += -16
r3 = 16
r4 = 0
call 130
r0 = 0
exit
