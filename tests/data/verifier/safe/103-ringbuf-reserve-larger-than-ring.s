; rule: reservation sizes are checked at run time (null when it does not fit), not by the verifier
; expect: accept
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8192
r3 = 0
call 131
if r0 == 0 goto out
r1 = r0
r2 = 0
call 133
out:
r0 = 0
exit
