; rule: cgroup_skb egress may return up to 3
; expect: accept
; type: cgroup_skb
; attach: cgroup_inet_egress
r0 = 3
exit
