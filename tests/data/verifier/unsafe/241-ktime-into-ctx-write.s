; rule: socket filters write only cb[]: a store at cb's end+4 (hash) is refused even from a helper result
; expect: refuse "invalid bpf_context access off=72 size=4"
r6 = r1
call 5
*(u32 *)(r6 + 72) = r0
r0 = 0
exit
