; rule: comparing two registers refines both: r1 < r2 with r2 <= 15 bounds r1
; expect: accept
; map: array:4:16:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
r2 = *(u32 *)(r0 + 4)
if r2 > 15 goto out
if r1 >= r2 goto out
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
