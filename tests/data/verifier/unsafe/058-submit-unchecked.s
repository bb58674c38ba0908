; rule: ringbuf_reserve may return null; the result must be checked before it is submitted
; expect: refuse "R1 type=ringbuf_mem_or_null expected=ringbuf_mem"
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
r1 = r0
r2 = 0
call 132
r0 = 0
exit
