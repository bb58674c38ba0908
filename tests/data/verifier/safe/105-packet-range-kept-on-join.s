; rule: when both joined paths proved the same packet range, it holds after the join
; expect: accept
; type: xdp
r6 = r1
call 7
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 &= 1
if r0 == 0 goto left
r5 = 1
goto join
left:
r5 = 2
join:
r0 = *(u8 *)(r2 + 0)
r0 += r5
out:
r0 = 2
exit
