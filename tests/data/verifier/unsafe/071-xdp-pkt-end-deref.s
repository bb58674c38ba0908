; rule: data_end marks the end and cannot be dereferenced
; expect: refuse "R3 invalid mem access 'pkt_end'"
; type: xdp
r3 = *(u32 *)(r1 + 4)
r0 = *(u8 *)(r3 + 0)
exit
