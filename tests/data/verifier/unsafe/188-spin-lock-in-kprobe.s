; rule: tracing programs (kprobe) cannot use maps with bpf_spin_lock
; expect: refuse "tracing progs cannot use bpf_spin_lock yet"
; type: kprobe
; map: array:4:8:1:lock=0
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
