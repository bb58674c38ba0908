; rule: the reservation must be released on every path, not only on one
; expect: refuse "Unreleased reference"
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
call 7
if r0 > 100 goto out
r1 = r6
r2 = 0
call 132
out:
r0 = 0
exit
