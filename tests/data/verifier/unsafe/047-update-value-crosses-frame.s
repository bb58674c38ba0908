; rule: map_update_elem reads value_size bytes from the value pointer; 16 bytes from R10-8 leave the frame
; expect: refuse "invalid read from stack R3 off=-8 size=16"
; map: hash:4:16:16
*(u64 *)(r10 - 8) = 0
*(u32 *)(r10 - 12) = 0
r2 = r10
r2 += -12
r3 = r10
r3 += -8
r4 = 0
ld_pseudo r1, 1, 0
call 2
r0 = 0
exit
