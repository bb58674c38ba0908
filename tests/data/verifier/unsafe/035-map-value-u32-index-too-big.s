; rule: a variable offset must be bounded so that the whole range stays within the value (a u32 is not enough: offsets beyond 2^29 count as unbounded)
; expect: refuse "R0 unbounded memory access, make sure to bounds check any such access"
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
