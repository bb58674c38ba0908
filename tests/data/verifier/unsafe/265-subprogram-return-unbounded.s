; rule: a callee's unknown return value is unbounded in the caller
; expect: refuse "R6 unbounded memory access"
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r6 = r0
call f
w0 = w0
r6 += r0
r0 = *(u8 *)(r6 + 0)
out:
r0 = 0
exit
f:
call 7
exit
