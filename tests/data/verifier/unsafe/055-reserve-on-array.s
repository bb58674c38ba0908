; rule: ringbuf_reserve takes a ring buffer map only
; expect: refuse "cannot pass map_type 2 into func bpf_ringbuf_reserve#131"
; map: array:4:8:1
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
r0 = 0
exit
