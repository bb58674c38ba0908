; rule: atomic operations on map values are allowed
; expect: accept
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r1 = atomic_fetch_add((u64 *)(r0 + 0), r1)
lock *(u32 *)(r0 + 4) |= w1
out:
r0 = 0
exit
