; rule: cgroup_skb egress programs return 0..3 (drop/allow plus congestion notification)
; expect: refuse "should have been in [0, 3]"
; type: cgroup_skb
; attach: cgroup_inet_egress
r0 = 4
exit
