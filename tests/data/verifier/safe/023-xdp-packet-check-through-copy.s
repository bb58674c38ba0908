; rule: packet pointers copied from one another share the range proven for any of them
; expect: accept
; type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r5 = r2
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u32 *)(r5 + 4)
out:
r0 = 2
exit
