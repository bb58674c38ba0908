; rule: TC programs cannot use XDP helpers
; expect: refuse "program of this type cannot use helper bpf_xdp_adjust_head#44"
; type: sched_cls
r2 = 0
call 44
r0 = 0
exit
