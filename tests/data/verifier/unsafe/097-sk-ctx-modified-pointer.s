; rule: the context pointer must be used unmodified; its fields are named by the instruction's offset
; expect: refuse "dereference of modified ctx ptr R1 off=4 disallowed"
r1 += 4
r0 = *(u32 *)(r1 + 0)
exit
