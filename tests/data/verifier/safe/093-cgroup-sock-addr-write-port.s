; rule: a connect4 hook may rewrite user_ip4 and user_port
; expect: accept
; type: cgroup_sock_addr
; attach: cgroup_inet4_connect
r2 = 0x0100007f
*(u32 *)(r1 + 4) = r2
r2 = 0x5000
*(u32 *)(r1 + 24) = r2
r0 = 1
exit
