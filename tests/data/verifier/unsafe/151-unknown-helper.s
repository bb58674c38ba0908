; rule: a call must name a helper the kernel has
; expect: refuse "invalid func unknown#10000"
call 10000
r0 = 0
exit
