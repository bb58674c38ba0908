; rule: sock_addr connect programs return 0 or 1
; expect: refuse "should have been in [0, 1]"
; type: cgroup_sock_addr
; attach: cgroup_inet4_connect
r0 = 2
exit
