; rule: the check may be written as data_end >= data + n (operands swapped)
; expect: accept
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r3 < r4 goto out
r0 = *(u64 *)(r2 + 0)
out:
r0 = 2
exit
