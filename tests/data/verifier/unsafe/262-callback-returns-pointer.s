; rule: a callback cannot return a pointer into its own frame (nor anything but 0 or 1)
; expect: refuse "cannot return stack pointer to the caller"
r1 = 4
ld_pseudo r2, 4, cb
r3 = 0
r4 = 0
call 181
r0 = 0
exit
cb:
r0 = r10
exit
