; rule: sk_lookup programs return SK_DROP (0) or SK_PASS (1)
; expect: refuse "should have been in [0, 1]"
; type: sk_lookup
; attach: sk_lookup
r0 = 3
exit
