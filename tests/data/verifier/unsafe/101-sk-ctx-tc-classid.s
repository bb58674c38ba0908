; rule: socket filters cannot read tc_classid, a TC-only field
; expect: refuse "invalid bpf_context access off=72 size=4"
r0 = *(u32 *)(r1 + 72)
exit
