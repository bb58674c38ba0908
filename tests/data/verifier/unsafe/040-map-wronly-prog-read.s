; rule: a BPF_F_WRONLY_PROG map's values cannot be read by the program
; expect: refuse "read from map forbidden"
; map: array:4:8:1:flags=0x100
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
