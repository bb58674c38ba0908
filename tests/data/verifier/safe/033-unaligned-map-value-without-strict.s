; rule: without BPF_F_STRICT_ALIGNMENT a u32 at offset 1 of a map value is allowed
; expect: accept
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 = *(u32 *)(r0 + 1)
exit
out:
r0 = 0
exit
