; rule: bpf_snprintf's format must be a read-only map value (a constant string)
; expect: refuse "R3 type=fp expected=map_value"
*(u64 *)(r10 - 8) = 0
*(u64 *)(r10 - 24) = 0
r1 = r10
r1 += -24
r2 = 16
r3 = r10
r3 += -8
r4 = 0
r5 = 0
call 165
r0 = 0
exit
