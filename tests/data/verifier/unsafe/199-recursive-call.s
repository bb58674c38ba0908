; rule: bpf-to-bpf calls may not recurse: the call chain is followed until it passes 8 frames
; expect: refuse "the call stack of 9 frames is too deep"
r1 = 1
call f
r0 = 0
exit
f:
call f
r0 = 0
exit
