; rule: context reads must be within the program type's context struct (__sk_buff)
; expect: refuse "invalid bpf_context access off=400 size=4"
r0 = *(u32 *)(r1 + 400)
exit
