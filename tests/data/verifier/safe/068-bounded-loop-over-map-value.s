; rule: a bounded loop indexing a map value with the loop counter stays within value_size
; expect: accept
; map: array:4:16:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = 0
r1 = 0
loop:
r2 = r0
r2 += r1
r3 = *(u8 *)(r2 + 0)
r6 += r3
r1 += 1
if r1 < 16 goto loop
r0 = r6
exit
out:
r0 = 0
exit
