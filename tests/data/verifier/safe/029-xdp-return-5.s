; rule: XDP return values are not range-checked by the verifier (an unknown action is XDP_ABORTED at run time)
; expect: accept
; type: xdp
r0 = 5
exit
