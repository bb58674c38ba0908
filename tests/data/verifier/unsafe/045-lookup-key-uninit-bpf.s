; rule: without CAP_PERFMON, a helper may only read stack bytes that were written
; expect: refuse "invalid read from stack R2 off=-4 size=4"
; privilege: bpf
; map: hash:4:8:16
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
