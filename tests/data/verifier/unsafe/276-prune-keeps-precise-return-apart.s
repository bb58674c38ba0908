; rule: a subprogram returns 0 or 8 from two paths that join inside it; the caller uses the result as an offset, so precision crosses the return into the callee and the path returning 8 is explored
; expect: refuse "invalid access to map value, value_size=8 off=8 size=8"
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r7 = r0
call 7
r1 = r0
call pick
r7 += r0
r0 = *(u64 *)(r7 + 0)
out:
r0 = 0
exit
pick:
r0 = 0
if r1 > 100 goto big
goto done
big:
r0 = 8
done:
exit
