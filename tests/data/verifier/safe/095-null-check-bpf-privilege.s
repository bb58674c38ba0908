; rule: the null check of a map_value_or_null is allowed without CAP_PERFMON
; expect: accept
; privilege: bpf
; map: hash:4:8:16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
