; rule: TC programs may write mark, priority, tc_index, cb[] and tc_classid
; expect: accept
; type: sched_cls
r2 = 1
*(u32 *)(r1 + 8) = r2
*(u32 *)(r1 + 32) = r2
*(u32 *)(r1 + 44) = r2
*(u32 *)(r1 + 48) = r2
*(u32 *)(r1 + 64) = r2
*(u32 *)(r1 + 72) = r2
r0 = 0
exit
