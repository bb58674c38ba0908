; rule: a BPF_F_RDONLY_PROG map's values cannot be written by the program
; expect: refuse "write into map forbidden"
; map: array:4:8:1:flags=0x80
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
out:
r0 = 0
exit
