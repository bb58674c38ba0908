; rule: a null check on a copy of a reservation reaches the original, and releasing it through the copy releases both
; expect: accept
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
r6 = r0
if r6 == 0 goto out
*(u64 *)(r0 + 0) = 1
r1 = r6
r2 = 0
call 132
out:
r0 = 0
exit
