; rule: an IPv4 connect hook cannot read user_ip6
; expect: refuse "invalid bpf_context access off=8 size=4"
; type: cgroup_sock_addr
; attach: cgroup_inet4_connect
r0 = *(u32 *)(r1 + 8)
r0 = 1
exit
