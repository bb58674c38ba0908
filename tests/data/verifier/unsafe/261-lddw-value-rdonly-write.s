; rule: a direct value pointer (lddw source 2) into a BPF_F_RDONLY_PROG map is read-only too
; expect: refuse "write into map forbidden"
; map: array:4:8:1:flags=0x80
ld_pseudo r1, 2, 0, 0
r2 = 1
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
