; rule: the whole access must be inside the value: 4 bytes at offset 6 of an 8-byte value end past it
; expect: refuse "invalid access to map value, value_size=8 off=6 size=4"
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
*(u32 *)(r0 + 6) = 1
out:
r0 = 0
exit
