; rule: a stack access must be aligned to its size (the kernel checks the stack strictly with or without BPF_F_STRICT_ALIGNMENT)
; expect: refuse "misaligned stack access"
*(u32 *)(r10 - 6) = 0
r0 = 0
exit
