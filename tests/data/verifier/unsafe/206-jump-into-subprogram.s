; rule: a jump may not leave its function (only calls and exits cross function boundaries)
; expect: refuse "jump out of range"
r0 = 0
if r1 == 0 goto inside
call f
exit
f:
r0 = 1
inside:
exit
