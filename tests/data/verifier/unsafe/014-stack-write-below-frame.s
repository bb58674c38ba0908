; rule: stack accesses must stay within the 512-byte frame
; expect: refuse "invalid write to stack R10 off=-520 size=8"
*(u64 *)(r10 - 520) = 0
r0 = 0
exit
