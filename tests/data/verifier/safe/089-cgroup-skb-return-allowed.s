; rule: cgroup_skb ingress may return 0 or 1, proven by masking an unknown value
; expect: accept
; type: cgroup_skb
; attach: cgroup_inet_ingress
r0 = *(u32 *)(r1 + 0)
r0 &= 1
exit
