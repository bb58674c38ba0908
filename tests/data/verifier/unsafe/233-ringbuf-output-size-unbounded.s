; rule: ringbuf_output's size must be bounded by the data buffer
; expect: refuse "R3 unbounded memory access"
; map: ringbuf:0:0:4096
*(u64 *)(r10 - 8) = 0
r3 = *(u32 *)(r1 + 0)
ld_pseudo r1, 1, 0
r2 = r10
r2 += -8
r4 = 0
call 130
r0 = 0
exit
