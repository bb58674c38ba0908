; rule: an unknown return value is not proven to be in the program type's range
; expect: refuse "should have been in [0, 1]"
; type: cgroup_skb
; attach: cgroup_inet_ingress
call 7
exit
