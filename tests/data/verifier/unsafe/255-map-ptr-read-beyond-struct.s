; rule: reads through a map pointer must stay within the kernel's struct (bpf_array here)
; expect: refuse "access beyond struct"
; map: array:4:8:1
ld_pseudo r1, 1, 0
r0 = *(u64 *)(r1 + 0x7ff8)
r0 = 0
exit
