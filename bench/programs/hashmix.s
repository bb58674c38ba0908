Disassembly of section xdp:

0000000000000000 <hashmix_xdp>:
       0:	w0 = 0x0
       1:	r2 = *(u32 *)(r1 + 0x4)
       2:	r1 = *(u32 *)(r1 + 0x0)
       3:	r3 = r1
       4:	r3 += 0x40
       5:	if r3 > r2 goto +0x27 <hashmix_xdp+0x168>
       6:	r6 = 0x27d4eb2f165667c5 ll
       8:	w2 = 0x0
       9:	r3 = -0x3d4d51c2d82b14b1 ll
      11:	r4 = -0x61c8864e7a143579 ll
      13:	r5 = -0x7a1435883d4d519d ll
      15:	w0 = w2
      16:	w0 &= 0x7
      17:	r0 <<= 0x3
      18:	r7 = r1
      19:	r7 += r0
      20:	r0 = *(u64 *)(r7 + 0x0)
      21:	r0 *= r3
      22:	r0 ^= r6
      23:	r6 = r0
      24:	r6 >>= 0x21
      25:	r0 <<= 0x1f
      26:	r0 |= r6
      27:	r0 *= r4
      28:	r0 += r5
      29:	w2 += 0x1
      30:	r6 = r0
      31:	if w2 == 0x200 goto +0x1 <hashmix_xdp+0x108>
      32:	goto -0x12 <hashmix_xdp+0x78>
      33:	r1 = r0
      34:	r1 >>= 0x21
      35:	r1 ^= r0
      36:	r2 = -0xae502812aa7333 ll
      38:	r1 *= r2
      39:	r2 = r1
      40:	r2 >>= 0x1d
      41:	r2 ^= r1
      42:	r0 = r2
      43:	r0 >>= 0x20
      44:	w0 ^= w2
      45:	exit

Disassembly of section raw:

0000000000000000 <hashmix_raw>:
       0:	w0 = 0x0
       1:	r2 = *(u64 *)(r1 + 0x8)
       2:	r1 = *(u64 *)(r1 + 0x0)
       3:	r3 = r1
       4:	r3 += 0x40
       5:	if r3 > r2 goto +0x27 <hashmix_raw+0x168>
       6:	r6 = 0x27d4eb2f165667c5 ll
       8:	w2 = 0x0
       9:	r3 = -0x3d4d51c2d82b14b1 ll
      11:	r4 = -0x61c8864e7a143579 ll
      13:	r5 = -0x7a1435883d4d519d ll
      15:	w0 = w2
      16:	w0 &= 0x7
      17:	r0 <<= 0x3
      18:	r7 = r1
      19:	r7 += r0
      20:	r0 = *(u64 *)(r7 + 0x0)
      21:	r0 *= r3
      22:	r0 ^= r6
      23:	r6 = r0
      24:	r6 >>= 0x21
      25:	r0 <<= 0x1f
      26:	r0 |= r6
      27:	r0 *= r4
      28:	r0 += r5
      29:	w2 += 0x1
      30:	r6 = r0
      31:	if w2 == 0x200 goto +0x1 <hashmix_raw+0x108>
      32:	goto -0x12 <hashmix_raw+0x78>
      33:	r1 = r0
      34:	r1 >>= 0x21
      35:	r1 ^= r0
      36:	r2 = -0xae502812aa7333 ll
      38:	r1 *= r2
      39:	r2 = r1
      40:	r2 >>= 0x1d
      41:	r2 ^= r1
      42:	r0 = r2
      43:	r0 >>= 0x20
      44:	w0 ^= w2
      45:	exit
