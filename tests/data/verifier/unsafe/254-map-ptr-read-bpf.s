; rule: reading struct bpf_map through a map pointer needs CAP_PERFMON
; expect: refuse "access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN"
; privilege: bpf
; map: array:4:8:1
ld_pseudo r1, 1, 0
r0 = *(u32 *)(r1 + 0)
r0 = 0
exit
