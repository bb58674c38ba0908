; rule: a sign-extending narrow read of a context field is allowed like a plain one
; expect: accept
r0 = *(s32 *)(r1 + 0)
r0 = *(s8 *)(r1 + 4)
exit
