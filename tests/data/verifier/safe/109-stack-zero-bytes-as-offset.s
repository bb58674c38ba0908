; rule: stack bytes written with the constant 0 read back as the known 0 (STACK_ZERO), a valid offset
; expect: accept
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = 0
*(u64 *)(r10 - 16) = r1
r1 = *(u8 *)(r10 - 13)
r0 += r1
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
