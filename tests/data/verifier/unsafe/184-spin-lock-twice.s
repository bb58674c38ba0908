; rule: only one spin lock may be held at a time: a second bpf_spin_lock is a call made while holding a lock
; expect: refuse "function calls are not allowed while holding a lock"
; type: sched_cls
; map: array:4:8:1:lock=0
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = r0
r1 = r0
call 93
r1 = r6
call 93
r1 = r6
call 94
out:
r0 = 0
exit
