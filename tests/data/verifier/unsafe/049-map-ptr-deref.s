; rule: an lddw of a map gives a map pointer, whose struct bpf_map may be read (with BTF) but never written
; expect: refuse "only read from bpf_array is supported"
; map: array:4:8:1
ld_pseudo r1, 1, 0
r2 = 0
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
