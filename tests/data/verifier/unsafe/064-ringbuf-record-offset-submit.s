; rule: a record must be released through the pointer the reservation gave, not a moved one
; expect: refuse "R1 must have zero offset when passed to release func"
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 16
r3 = 0
call 131
if r0 == 0 goto out
r0 += 8
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
