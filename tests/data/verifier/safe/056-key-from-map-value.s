; rule: a map value may serve as another map's key (ARG_PTR_TO_MAP_KEY accepts map values)
; expect: accept
; map: array:4:8:1
; map: hash:8:8:16
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r2 = r0
ld_pseudo r1, 1, 1
call 1
out:
r0 = 0
exit
