; rule: stack accesses are always checked for alignment (BPF_F_STRICT_ALIGNMENT or not): an 8-byte write at R10-4 is misaligned, before it is found to cross R10
; expect: refuse "misaligned stack access off 0+0+-4 size 8"
*(u64 *)(r10 - 4) = 0
r0 = 0
exit
