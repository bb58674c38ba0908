; rule: with BPF_F_STRICT_ALIGNMENT packet accesses are checked as if the packet started 2 bytes into a word (NET_IP_ALIGN): a u32 at data+0 is misaligned
; expect: refuse "misaligned packet access off 2+0+0+0 size 4"
; type: xdp
; flags: strict_alignment
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 0)
out:
r0 = 2
exit
