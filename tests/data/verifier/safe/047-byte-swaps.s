; rule: byte swaps of scalars are plain ALU operations
; expect: accept
r0 = *(u32 *)(r1 + 0)
r0 = be16 r0
r0 = le32 r0
r0 = bswap64 r0
exit
