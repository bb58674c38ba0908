; rule: atomic operations (add, xchg, cmpxchg) on written stack slots are allowed
; expect: accept
*(u64 *)(r10 - 8) = 0
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r1 = xchg_64(r10 - 8, r1)
r0 = 0
r2 = 5
r0 = cmpxchg_64(r10 - 8, r0, r2)
exit
