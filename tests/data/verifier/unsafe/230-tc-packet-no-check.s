; rule: TC programs too must check data_end before reading the packet
; expect: refuse "invalid access to packet, off=12 size=2"
; type: sched_cls
r2 = *(u32 *)(r1 + 76)
r0 = *(u16 *)(r2 + 12)
r0 = 0
exit
