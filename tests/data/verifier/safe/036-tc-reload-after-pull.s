; rule: after skb_pull_data the packet pointers are loaded again and checked again
; expect: accept
; type: sched_cls
r6 = r1
r2 = 14
call 39
r2 = *(u32 *)(r6 + 76)
r3 = *(u32 *)(r6 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 0)
out:
r0 = 0
exit
