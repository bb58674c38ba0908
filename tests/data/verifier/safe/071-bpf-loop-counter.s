; rule: bpf_loop calls a callback checked once; the callback gets the caller's stack slot as ctx and returns 0
; expect: accept
*(u64 *)(r10 - 8) = 0
r1 = 100
ld_pseudo r2, 4, cb
r3 = r10
r3 += -8
r4 = 0
call 181
r0 = *(u64 *)(r10 - 8)
exit
cb:
r3 = *(u64 *)(r2 + 0)
r3 += r1
*(u64 *)(r2 + 0) = r3
r0 = 0
exit
