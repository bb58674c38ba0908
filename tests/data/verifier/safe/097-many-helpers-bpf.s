; rule: base helpers (time, random, CPU id) need no CAP_PERFMON
; expect: accept
; privilege: bpf
call 5
call 7
call 8
r0 = 0
exit
