; rule: a Bloom filter has no key (key_size 0): map_lookup_elem's key argument is a zero-sized read
; expect: refuse "invalid zero-sized read"
; map: bloom_filter:0:8:16
*(u64 *)(r10 - 8) = 5
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
