; rule: perf_event_output needs a perf event array
; expect: refuse "cannot pass map_type 2 into func bpf_perf_event_output#25"
; map: array:4:8:1
*(u64 *)(r10 - 8) = 0
ld_pseudo r2, 1, 0
r3 = 0
r4 = r10
r4 += -8
r5 = 8
call 25
r0 = 0
exit
