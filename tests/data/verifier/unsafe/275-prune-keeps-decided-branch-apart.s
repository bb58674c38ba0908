; rule: a branch whose direction a constant decides makes that constant precise: the path where it is 1 is not pruned against the one where it is 0, and the read it guards is found out of bounds
; expect: refuse "invalid access to map value, value_size=8 off=8 size=8"
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
if r0 > 100 goto one
goto join
one:
r6 = 1
join:
if r6 == 0 goto out
r0 = *(u64 *)(r7 + 8)
out:
r0 = 0
exit
