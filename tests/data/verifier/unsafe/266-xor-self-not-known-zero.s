; rule: the verifier's arithmetic is what counts, not the value at run time: an unknown x ^ x (always 0) stays unknown to the kernel's tnum xor, so it is an unbounded offset
; expect: refuse "math between map_value pointer and register with unbounded min value is not allowed"
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 ^= r1
r0 += r1
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
