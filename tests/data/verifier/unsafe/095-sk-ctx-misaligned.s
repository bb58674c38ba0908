; rule: context accesses must be aligned to the field
; expect: refuse "invalid bpf_context access off=1 size=4"
r0 = *(u32 *)(r1 + 1)
exit
