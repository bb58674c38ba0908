; rule: as the accumulator diamonds, but the sum lives in a stack slot between the diamonds: a spilled scalar no decision reads matches any other when pruning
; expect: accept
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r7 = r0
call 7
r8 = r0
r6 = 0
*(u64 *)(r10 - 16) = r6
r1 = r8
r1 &= 1
if r1 == 0 goto d0
r6 = *(u64 *)(r10 - 16)
r6 += 1
*(u64 *)(r10 - 16) = r6
d0:
r1 = r8
r1 &= 2
if r1 == 0 goto d1
r6 = *(u64 *)(r10 - 16)
r6 += 2
*(u64 *)(r10 - 16) = r6
d1:
r1 = r8
r1 &= 4
if r1 == 0 goto d2
r6 = *(u64 *)(r10 - 16)
r6 += 3
*(u64 *)(r10 - 16) = r6
d2:
r1 = r8
r1 &= 8
if r1 == 0 goto d3
r6 = *(u64 *)(r10 - 16)
r6 += 4
*(u64 *)(r10 - 16) = r6
d3:
r1 = r8
r1 &= 16
if r1 == 0 goto d4
r6 = *(u64 *)(r10 - 16)
r6 += 5
*(u64 *)(r10 - 16) = r6
d4:
r1 = r8
r1 &= 32
if r1 == 0 goto d5
r6 = *(u64 *)(r10 - 16)
r6 += 6
*(u64 *)(r10 - 16) = r6
d5:
r1 = r8
r1 &= 64
if r1 == 0 goto d6
r6 = *(u64 *)(r10 - 16)
r6 += 7
*(u64 *)(r10 - 16) = r6
d6:
r1 = r8
r1 &= 128
if r1 == 0 goto d7
r6 = *(u64 *)(r10 - 16)
r6 += 8
*(u64 *)(r10 - 16) = r6
d7:
r1 = r8
r1 &= 256
if r1 == 0 goto d8
r6 = *(u64 *)(r10 - 16)
r6 += 9
*(u64 *)(r10 - 16) = r6
d8:
r1 = r8
r1 &= 512
if r1 == 0 goto d9
r6 = *(u64 *)(r10 - 16)
r6 += 10
*(u64 *)(r10 - 16) = r6
d9:
r1 = r8
r1 &= 1024
if r1 == 0 goto d10
r6 = *(u64 *)(r10 - 16)
r6 += 11
*(u64 *)(r10 - 16) = r6
d10:
r1 = r8
r1 &= 2048
if r1 == 0 goto d11
r6 = *(u64 *)(r10 - 16)
r6 += 12
*(u64 *)(r10 - 16) = r6
d11:
r1 = r8
r1 &= 4096
if r1 == 0 goto d12
r6 = *(u64 *)(r10 - 16)
r6 += 13
*(u64 *)(r10 - 16) = r6
d12:
r1 = r8
r1 &= 8192
if r1 == 0 goto d13
r6 = *(u64 *)(r10 - 16)
r6 += 14
*(u64 *)(r10 - 16) = r6
d13:
r1 = r8
r1 &= 16384
if r1 == 0 goto d14
r6 = *(u64 *)(r10 - 16)
r6 += 15
*(u64 *)(r10 - 16) = r6
d14:
r1 = r8
r1 &= 32768
if r1 == 0 goto d15
r6 = *(u64 *)(r10 - 16)
r6 += 16
*(u64 *)(r10 - 16) = r6
d15:
r1 = r8
r1 &= 65536
if r1 == 0 goto d16
r6 = *(u64 *)(r10 - 16)
r6 += 17
*(u64 *)(r10 - 16) = r6
d16:
r1 = r8
r1 &= 131072
if r1 == 0 goto d17
r6 = *(u64 *)(r10 - 16)
r6 += 18
*(u64 *)(r10 - 16) = r6
d17:
r1 = r8
r1 &= 262144
if r1 == 0 goto d18
r6 = *(u64 *)(r10 - 16)
r6 += 19
*(u64 *)(r10 - 16) = r6
d18:
r1 = r8
r1 &= 524288
if r1 == 0 goto d19
r6 = *(u64 *)(r10 - 16)
r6 += 20
*(u64 *)(r10 - 16) = r6
d19:
r1 = r8
r1 &= 1048576
if r1 == 0 goto d20
r6 = *(u64 *)(r10 - 16)
r6 += 21
*(u64 *)(r10 - 16) = r6
d20:
r1 = r8
r1 &= 2097152
if r1 == 0 goto d21
r6 = *(u64 *)(r10 - 16)
r6 += 22
*(u64 *)(r10 - 16) = r6
d21:
r1 = r8
r1 &= 4194304
if r1 == 0 goto d22
r6 = *(u64 *)(r10 - 16)
r6 += 23
*(u64 *)(r10 - 16) = r6
d22:
r1 = r8
r1 &= 8388608
if r1 == 0 goto d23
r6 = *(u64 *)(r10 - 16)
r6 += 24
*(u64 *)(r10 - 16) = r6
d23:
r6 = *(u64 *)(r10 - 16)
*(u64 *)(r7 + 0) = r6
out:
r0 = 0
exit
