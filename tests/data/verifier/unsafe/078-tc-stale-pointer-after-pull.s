; rule: skb_pull_data may reallocate the packet; packet pointers from before the call are dead
; expect: refuse "R7 invalid mem access 'scalar'"
; type: sched_cls
r6 = r1
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 8
if r4 > r3 goto out
r7 = r2
r1 = r6
r2 = 8
call 39
r0 = *(u8 *)(r7 + 0)
out:
r0 = 0
exit
