; rule: data_meta bytes must be proven against data before they are read
; expect: refuse "invalid access to packet"
; type: xdp
r2 = *(u32 *)(r1 + 8)
r0 = *(u8 *)(r2 + 0)
r0 = 2
exit
