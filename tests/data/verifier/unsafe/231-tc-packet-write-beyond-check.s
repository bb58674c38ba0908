; rule: writes into the packet are checked like reads
; expect: refuse "invalid access to packet, off=14 size=2"
; type: sched_cls
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto out
*(u16 *)(r2 + 14) = 0
out:
r0 = 0
exit
