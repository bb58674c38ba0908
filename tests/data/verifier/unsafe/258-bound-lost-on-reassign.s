; rule: a bound belongs to a value, not to a register name: reloading the register drops it
; expect: refuse "R0 unbounded memory access"
; map: array:4:16:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
if r1 > 15 goto out
r1 = *(u32 *)(r0 + 4)
r0 += r1
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
