; rule: narrow (1- and 2-byte) reads of __sk_buff u32 fields are allowed
; expect: accept
r0 = *(u8 *)(r1 + 0)
r2 = *(u16 *)(r1 + 16)
r3 = *(u8 *)(r1 + 3)
r0 += r2
exit
