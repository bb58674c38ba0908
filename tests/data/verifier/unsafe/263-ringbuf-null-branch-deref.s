; rule: on the null branch of a reservation there is nothing to write (and nothing to release)
; expect: refuse "R0 invalid mem access 'scalar'"
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
if r0 != 0 goto ok
*(u64 *)(r0 + 0) = 1
r0 = 0
exit
ok:
r1 = r0
r2 = 0
call 132
r0 = 0
exit
