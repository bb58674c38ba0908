; rule: only a 64-bit comparison with 0 null-checks a pointer; a 32-bit one (w0 == 0) leaves it or-null
; expect: refuse "R0 invalid mem access 'map_value_or_null'"
; map: hash:4:8:16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if w0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
