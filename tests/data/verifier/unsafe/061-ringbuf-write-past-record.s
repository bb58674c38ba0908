; rule: a reserved record is exactly the size asked for
; expect: refuse "invalid access to memory, mem_size=8 off=8 size=8"
; map: ringbuf:0:0:4096
ld_pseudo r1, 1, 0
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r0 + 8) = 1
r1 = r0
r2 = 0
call 132
out:
r0 = 0
exit
