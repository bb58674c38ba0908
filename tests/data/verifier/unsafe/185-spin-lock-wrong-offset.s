; rule: the lock argument must point exactly at the value's bpf_spin_lock
; expect: refuse "doesn't point to 'struct bpf_spin_lock' that is at 0"
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
r1 += 4
call 93
r1 = r6
call 94
out:
r0 = 0
exit
