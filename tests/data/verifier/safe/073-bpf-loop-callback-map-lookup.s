; rule: a bpf_loop callback may call helpers (here a map lookup with its own null check)
; expect: accept
; map: array:4:8:1
r1 = 8
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = 0
exit
