; rule: with BPF_F_STRICT_ALIGNMENT the packet counts as starting at NET_IP_ALIGN (2), so a u32 at data+2 is aligned
; expect: accept
; type: xdp
; flags: strict_alignment
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 2)
out:
r0 = 2
exit
