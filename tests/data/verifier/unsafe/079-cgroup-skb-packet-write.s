; rule: cgroup_skb programs may read the packet directly but not write it
; expect: refuse "cannot write into packet"
; type: cgroup_skb
; attach: cgroup_inet_ingress
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 8
if r4 > r3 goto out
*(u8 *)(r2 + 0) = 0
out:
r0 = 1
exit
