; rule: a loop-carried index proven < 8 at the check is used after one more increment
; expect: refuse "invalid access to map value, value_size=8 off=8 size=1"
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = 0
loop:
r1 += 1
r2 = r0
r2 += r1
r3 = *(u8 *)(r2 + 0)
if r1 < 8 goto loop
out:
r0 = 0
exit
