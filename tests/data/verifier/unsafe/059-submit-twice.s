; rule: a reference can be released once; after submit every copy of the pointer is dead
; expect: refuse "R1 type=scalar expected=ringbuf_mem"
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
r1 = r6
r2 = 0
call 132
r1 = r6
r2 = 0
call 132
out:
r0 = 0
exit
