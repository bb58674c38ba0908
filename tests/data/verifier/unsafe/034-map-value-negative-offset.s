; rule: map value accesses cannot go below the value's start
; expect: refuse "invalid access to map value, value_size=8 off=-1 size=1"
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 = *(u8 *)(r0 - 1)
out:
r0 = 0
exit
