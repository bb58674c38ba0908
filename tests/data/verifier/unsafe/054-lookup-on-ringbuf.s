; rule: lookups in a ring buffer fail: its key size is 0, so the key argument is a zero-sized read
; expect: refuse "invalid zero-sized read"
; map: ringbuf:0:0:4096
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
