; rule: a kfunc call must name a BTF function the kernel allows for the program type
; expect: refuse "kernel btf_id 4294967 is not a function"
call kfunc 4294967
r0 = 0
exit
