; rule: map_pop_elem writes value_size bytes: 16 bytes at R10-8 leave the frame
; expect: refuse "invalid write to stack R2 off=-8 size=16"
; map: queue:0:16:16
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 88
r0 = 0
exit
