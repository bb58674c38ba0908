; rule: cgroup_skb ingress programs return 0 (drop) or 1 (allow)
; expect: refuse "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]"
; type: cgroup_skb
; attach: cgroup_inet_ingress
r0 = 2
exit
