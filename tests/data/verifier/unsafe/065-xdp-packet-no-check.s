; rule: packet data may be read only after a comparison with data_end proves the bytes are there
; expect: refuse "invalid access to packet, off=0 size=1"
; type: xdp
r2 = *(u32 *)(r1 + 0)
r0 = *(u8 *)(r2 + 0)
r0 = 2
exit
