; rule: a 64-bit immediate is a scalar, even one that looks like an address
; expect: refuse "R2 invalid mem access 'scalar'"
r2 = 0xffff888000000000 ll
r0 = *(u64 *)(r2 + 0)
exit
