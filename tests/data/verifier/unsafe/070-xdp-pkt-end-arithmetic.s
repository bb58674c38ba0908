; rule: no pointer arithmetic on data_end
; expect: refuse "R3 pointer arithmetic on pkt_end prohibited"
; type: xdp
r3 = *(u32 *)(r1 + 4)
r3 += -1
r0 = 2
exit
