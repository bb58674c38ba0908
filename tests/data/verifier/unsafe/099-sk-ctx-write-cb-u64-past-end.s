; rule: cb[] is 20 bytes (offsets 48..67): an 8-byte write at 64 runs past it
; expect: refuse "invalid bpf_context access off=64 size=8"
r2 = 0
*(u64 *)(r1 + 64) = r2
r0 = 0
exit
