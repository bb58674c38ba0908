; rule: a BPF_F_RDONLY_PROG map can still be read by the program
; expect: accept
; map: array:4:8:1:flags=0x80
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
