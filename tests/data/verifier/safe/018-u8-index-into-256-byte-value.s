; rule: a u8 load is in [0, 255], enough for a 256-byte value
; expect: accept
; map: array:4:256:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u8 *)(r0 + 0)
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
out:
r0 = 0
exit
