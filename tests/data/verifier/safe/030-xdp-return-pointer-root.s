; rule: with CAP_PERFMON a pointer may be returned (no leak check)
; expect: accept
; type: xdp
r0 = r1
exit
