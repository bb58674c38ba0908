; rule: override_return is a kprobe helper
; expect: refuse "program of this type cannot use helper bpf_override_return#58"
; type: xdp
r2 = 0
call 58
r0 = 2
exit
