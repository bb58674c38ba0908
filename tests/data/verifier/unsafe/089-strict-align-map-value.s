; rule: with BPF_F_STRICT_ALIGNMENT a map value access must be aligned to its size
; expect: refuse "misaligned value access"
; flags: strict_alignment
; map: array:4:16:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 4)
out:
r0 = 0
exit
