; rule: socket filters may write only cb[] of the context; mark is read-only for them
; expect: refuse "invalid bpf_context access off=8 size=4"
*(u32 *)(r1 + 8) = 0
r0 = 0
exit
