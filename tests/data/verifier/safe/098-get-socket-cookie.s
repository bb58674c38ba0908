; rule: socket filters may call get_socket_cookie with the context
; expect: accept
call 46
r0 = 0
exit
