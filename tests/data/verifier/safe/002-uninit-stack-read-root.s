; rule: with CAP_PERFMON (root) reading stack bytes never written is allowed (they read as unknown)
; expect: accept
r0 = *(u64 *)(r10 - 8)
exit
