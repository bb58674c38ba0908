; rule: a bpf_loop callback reads the caller's stack through its ctx argument
; expect: accept
*(u64 *)(r10 - 8) = 3
*(u64 *)(r10 - 16) = 0
r1 = 16
ld_pseudo r2, 4, cb
r3 = r10
r3 += -16
r4 = 0
call 181
r0 = *(u64 *)(r10 - 16)
exit
cb:
r3 = *(u64 *)(r2 + 8)
r4 = *(u64 *)(r2 + 0)
r4 += r3
*(u64 *)(r2 + 0) = r4
r0 = 0
exit
