; rule: with CAP_PERFMON a helper may read stack bytes never written (a key of unknown contents)
; expect: accept
; map: hash:4:8:16
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
