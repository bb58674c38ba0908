; rule: sock_addr programs may write user_ip4/user_port, not family
; expect: refuse "invalid bpf_context access off=20 size=4"
; type: cgroup_sock_addr
; attach: cgroup_inet4_connect
r2 = 2
*(u32 *)(r1 + 20) = r2
r0 = 1
exit
