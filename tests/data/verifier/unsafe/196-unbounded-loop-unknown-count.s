; rule: a loop must end within the verifier's budget (1,000,000 processed instructions); counting up from an unknown start by 1 towards 2^64 does not
; expect: refuse "BPF program is too large"
call 7
r1 = r0
r0 = 0
loop:
r1 += 1
r0 += 1
if r1 != 0 goto loop
exit
