; rule: cgroup_sysctl programs return 0 or 1
; expect: refuse "should have been in [0, 1]"
; type: cgroup_sysctl
; attach: cgroup_sysctl
r0 = -1
exit
