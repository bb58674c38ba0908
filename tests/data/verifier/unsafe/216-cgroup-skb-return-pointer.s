; rule: the return value of a range-checked program type must be a known scalar, not a pointer
; expect: refuse "At program exit the register R0 is not a known value (fp)"
; type: cgroup_skb
; attach: cgroup_inet_ingress
r0 = r10
exit
