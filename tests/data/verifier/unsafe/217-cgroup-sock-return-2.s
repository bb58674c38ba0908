; rule: cgroup_sock programs return 0 or 1
; expect: refuse "should have been in [0, 1]"
; type: cgroup_sock
; attach: cgroup_inet_sock_create
r0 = 2
exit
