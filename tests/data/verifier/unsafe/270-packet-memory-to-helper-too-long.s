; rule: packet memory passed to a helper must be proven for the whole size
; expect: refuse "invalid access to packet"
; type: sched_cls
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 20
if r4 > r3 goto out
r1 = r2
r2 = 24
r3 = 0
r4 = 0
r5 = 0
call 28
out:
r0 = 0
exit
