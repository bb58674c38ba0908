; rule: bpf_tail_call takes ctx, prog array and index: all three must be initialised
; expect: refuse "R3 !read_ok"
; map: prog_array:4:4:4
ld_pseudo r2, 1, 0
call 12
r0 = 0
exit
