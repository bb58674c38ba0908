; rule: passing packet memory to a helper needs the bytes proven too
; expect: refuse "invalid access to packet"
; type: xdp
; map: hash:4:8:16
r2 = *(u32 *)(r1 + 0)
r3 = r2
r2 = r3
ld_pseudo r1, 1, 0
call 1
r0 = 2
exit
