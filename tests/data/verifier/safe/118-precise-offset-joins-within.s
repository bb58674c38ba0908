; rule: a precise offset that is 0 on one path and in [0, 4] on the other: the first path's state (offset 0) does not cover the second, which is explored and proven within the value too
; expect: accept
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r7 = r0
call 7
r6 = 0
if r0 > 100 goto some
goto join
some:
r6 = r0
r6 &= 4
join:
r7 += r6
r0 = *(u32 *)(r7 + 0)
out:
r0 = 0
exit
