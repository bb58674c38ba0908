; rule: unlock must name the same lock that was taken
; expect: refuse "bpf_spin_unlock of different lock"
; type: sched_cls
; map: array:4:8:2:lock=0
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = r0
r1 = 1
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r7 = r0
r1 = r6
call 93
r1 = r7
call 94
out:
r0 = 0
exit
