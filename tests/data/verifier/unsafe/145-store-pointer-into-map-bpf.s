; rule: without CAP_PERFMON, a pointer must not be stored into a map value
; expect: refuse "R6 leaks addr into map"
; privilege: bpf
; map: array:4:8:1
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
*(u64 *)(r0 + 0) = r6
out:
r0 = 0
exit
