; rule: bpf_spin_unlock only after bpf_spin_lock
; expect: refuse "bpf_spin_unlock without taking a lock"
; type: sched_cls
; map: array:4:8:1:lock=0
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = r0
call 94
out:
r0 = 0
exit
