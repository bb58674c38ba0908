; rule: a ring buffer reservation is a reference that must be submitted or discarded on every path
; expect: refuse "Unreleased reference"
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
r0 = 0
exit
