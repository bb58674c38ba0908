; rule: with BPF_F_STRICT_ALIGNMENT an 8-byte stack read at -12 is misaligned
; expect: refuse "misaligned stack access"
; flags: strict_alignment
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 12)
exit
