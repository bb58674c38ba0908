; rule: bpf-to-bpf calls may not recurse, also through another function: the chain passes 8 frames
; expect: refuse "the call stack of 9 frames is too deep"
call f
r0 = 0
exit
f:
call g
r0 = 0
exit
g:
call f
r0 = 0
exit
