; rule: bpf_spin_lock needs a map value whose BTF describes a struct bpf_spin_lock; a map without BTF has none
; type: sched_cls
; expect: refuse "has to have BTF in order to use bpf_spin_lock"
; map: array:4:8:1
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
call 94
out:
r0 = 0
exit
