; rule: a reserved record may be filled by a helper (as memory of its size) before it is submitted
; expect: accept
; type: sched_cls
; map: ringbuf:0:0:4096
r6 = r1
ld_pseudo r1, 1, 0
r2 = 16
r3 = 0
call 131
if r0 == 0 goto out
r7 = r0
r1 = r6
r2 = 0
r3 = r7
r4 = 16
call 26
r1 = r7
r2 = 0
call 132
out:
r0 = 0
exit
