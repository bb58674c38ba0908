; rule: with BPF_F_STRICT_ALIGNMENT aligned map value accesses are fine
; expect: accept
; flags: strict_alignment
; map: array:4:16:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 8)
r0 = *(u32 *)(r0 + 4)
exit
out:
r0 = 0
exit
