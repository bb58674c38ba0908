; rule: a loop whose exit test can never become true (step 2 skips the bound 7) runs until the budget is spent
; expect: refuse "BPF program is too large"
r1 = 0
r0 = 0
loop:
r1 += 2
r0 += 1
if r1 != 7 goto loop
exit
