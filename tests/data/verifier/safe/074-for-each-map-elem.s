; rule: bpf_for_each_map_elem's callback gets (map, key, value, ctx) and may read the value
; expect: accept
; map: array:4:8:4
*(u64 *)(r10 - 8) = 0
ld_pseudo r1, 1, 0
ld_pseudo r2, 4, cb
r3 = r10
r3 += -8
r4 = 0
call 164
r0 = 0
exit
cb:
r0 = *(u64 *)(r3 + 0)
r5 = *(u64 *)(r4 + 0)
r5 += r0
*(u64 *)(r4 + 0) = r5
r0 = 0
exit
