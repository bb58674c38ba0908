; rule: perf_event_output with BPF_F_CURRENT_CPU and stack data
; expect: accept
; type: sched_cls
; map: perf_event_array:4:4:4
*(u64 *)(r10 - 8) = 0
ld_pseudo r2, 1, 0
r3 = 0xffffffff ll
r4 = r10
r4 += -8
r5 = 8
call 25
r0 = 0
exit
