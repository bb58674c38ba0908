; rule: an index set to 1 or 2 on two paths is in [1, 2] after they join
; expect: accept
; map: array:4:4:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = r0
call 7
r1 = 1
if r0 > 100 goto join
r1 = 2
join:
r6 += r1
r0 = *(u8 *)(r6 + 0)
exit
out:
r0 = 0
exit
