; rule: a flow dissector cannot write the packet pointer fields of its context
; expect: refuse "invalid bpf_context access"
; type: flow_dissector
r2 = 0
*(u32 *)(r1 + 76) = r2
r0 = 0
exit
