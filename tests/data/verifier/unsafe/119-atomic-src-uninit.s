; rule: an atomic operation reads its source register
; expect: refuse "R3 !read_ok"
*(u64 *)(r10 - 8) = 0
lock *(u64 *)(r10 - 8) += r3
r0 = 0
exit
