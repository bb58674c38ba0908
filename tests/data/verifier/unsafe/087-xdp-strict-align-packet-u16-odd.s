; rule: with BPF_F_STRICT_ALIGNMENT a u16 at an odd packet offset is misaligned
; expect: refuse "misaligned packet access off 2+0+0+1 size 2"
; type: xdp
; flags: strict_alignment
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u16 *)(r2 + 1)
out:
r0 = 2
exit
