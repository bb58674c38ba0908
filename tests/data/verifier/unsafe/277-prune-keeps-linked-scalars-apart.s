; rule: the offset is a copy of r8 on one path and of another unknown on the other; a bound learnt on r8 reaches the offset only through the copy, so r8 is precise with it and the paths are not merged
; expect: refuse "math between map_value pointer and register with unbounded min value is not allowed"
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r7 = r0
call 7
r8 = r0
call 7
r9 = r0
if r9 > 100 goto other
r6 = r8
goto join
other:
r6 = r9
join:
if r8 > 7 goto out
r7 += r6
r0 = *(u8 *)(r7 + 0)
out:
r0 = 0
exit
