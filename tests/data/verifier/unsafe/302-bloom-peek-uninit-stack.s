; rule: a Bloom filter's peek reads its value argument, so the bytes must be initialised at CAP_BPF level
; expect: refuse "invalid read from stack"
; privilege: bpf
; map: bloom_filter:0:8:16
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 89
r0 = 0
exit
