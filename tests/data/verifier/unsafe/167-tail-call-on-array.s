; rule: bpf_tail_call needs a program array
; expect: refuse "expected prog array map for tail call"
; map: array:4:8:1
ld_pseudo r2, 1, 0
r3 = 0
call 12
r0 = 0
exit
