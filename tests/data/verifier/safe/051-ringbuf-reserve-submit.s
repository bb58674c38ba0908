; rule: a reservation checked for null, written within its size and submitted is fine
; expect: accept
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 16
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r0 + 8) = 1
*(u64 *)(r0 + 0) = 2
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
