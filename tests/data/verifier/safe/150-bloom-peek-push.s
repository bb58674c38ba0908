; rule: a Bloom filter is keyless: push (flags 0) and peek both take value_size bytes of initialised stack
; expect: accept
; map: bloom_filter:0:8:16
*(u64 *)(r10 - 8) = 5
r2 = r10
r2 += -8
r3 = 0
ld_pseudo r1, 1, 0
call 87
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 89
r0 = 0
exit
