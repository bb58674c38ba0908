; rule: releasing the reservation by submit on one path and discard on the other is fine
; expect: accept
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
call 7
r1 = r6
r2 = 0
if r0 > 100 goto discard
call 132
goto out
discard:
call 133
out:
r0 = 0
exit
