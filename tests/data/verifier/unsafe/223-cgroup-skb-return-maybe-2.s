; rule: the whole range of R0 must be within the allowed one: 0..2 is not within 0..1
; expect: refuse "should have been in [0, 1]"
; type: cgroup_skb
; attach: cgroup_inet_ingress
r0 = *(u32 *)(r1 + 0)
r0 &= 2
exit
