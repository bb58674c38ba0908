; rule: each program type has its own helper set: xdp_adjust_head is for XDP
; expect: refuse "program of this type cannot use helper bpf_xdp_adjust_head#44"
r2 = 0
call 44
r0 = 0
exit
