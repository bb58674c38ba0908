; rule: without BPF_F_STRICT_ALIGNMENT misaligned packet reads are allowed (x86 handles them)
; expect: accept
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 1)
out:
r0 = 2
exit
