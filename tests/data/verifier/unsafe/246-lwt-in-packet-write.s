; rule: lwt_in programs may read packet data but not write it
; expect: refuse "cannot write into packet"
; type: lwt_in
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 8
if r4 > r3 goto out
*(u8 *)(r2 + 0) = 0
out:
r0 = 0
exit
