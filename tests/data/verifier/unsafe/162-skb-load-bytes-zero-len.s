; rule: ARG_CONST_SIZE (unlike ARG_CONST_SIZE_OR_ZERO) refuses a size that may be zero
; expect: refuse "R4 invalid zero-sized read"
r2 = 0
r3 = r10
r3 += -8
r4 = 0
call 26
r0 = 0
exit
