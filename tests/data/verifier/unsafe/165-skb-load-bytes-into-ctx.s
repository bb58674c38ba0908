; rule: the destination of skb_load_bytes must be writable memory (stack, map value...), not the context
; expect: refuse "R3 type=ctx expected=fp"
r6 = r1
r3 = r1
r2 = 0
r4 = 8
call 26
r0 = 0
exit
