; rule: cgroup_device programs return 0 or 1
; expect: refuse "should have been in [0, 1]"
; type: cgroup_device
; attach: cgroup_device
r0 = 2
exit
