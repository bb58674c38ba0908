; rule: an unknown trip count clamped to 32 gives a bounded loop
; expect: accept
call 7
r1 = r0
if r1 <= 32 goto ok
r1 = 32
ok:
r0 = 0
r2 = 0
loop:
if r2 >= r1 goto done
r0 += r2
r2 += 1
goto loop
done:
exit
