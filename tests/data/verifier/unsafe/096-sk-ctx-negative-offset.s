; rule: context offsets cannot be negative
; expect: refuse "invalid bpf_context access off=-4 size=4"
r0 = *(u32 *)(r1 - 4)
exit
