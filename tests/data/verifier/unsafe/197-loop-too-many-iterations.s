; rule: a bounded loop must still fit the 1,000,000-instruction budget; 10^6 iterations do not
; expect: refuse "BPF program is too large"
r1 = 0
r0 = 0
loop:
r0 += r1
r1 += 1
if r1 < 1000000 goto loop
exit
