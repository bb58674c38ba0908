Disassembly of section xdp:

0000000000000000 <compute_xdp>:
       0:	w0 = 0x0
       1:	r3 = *(u32 *)(r1 + 0x4)
       2:	r2 = *(u32 *)(r1 + 0x0)
       3:	r1 = r2
       4:	r1 += 0x8
       5:	if r1 > r3 goto +0x1d <compute_xdp+0x118>
       6:	r4 = 0x0
       7:	w1 = 0x100
       8:	r3 = *(u64 *)(r2 + 0x0)
       9:	r3 |= 0x1
      10:	r2 = -0x61c8864680b583eb ll
      12:	r5 = r3
      13:	r5 <<= 0xd
      14:	r5 ^= r3
      15:	r0 = r5
      16:	r0 >>= 0x7
      17:	r0 ^= r5
      18:	r3 = r0
      19:	r3 <<= 0x11
      20:	r3 ^= r0
      21:	r5 = r3
      22:	r5 *= r2
      23:	r5 += r4
      24:	r4 = r5
      25:	r4 >>= 0x23
      26:	r5 <<= 0x1d
      27:	r5 |= r4
      28:	w1 += -0x1
      29:	r4 = r5
      30:	if w1 == 0x0 goto +0x1 <compute_xdp+0x100>
      31:	goto -0x14 <compute_xdp+0x60>
      32:	r0 = r5
      33:	r0 >>= 0x20
      34:	w0 ^= w5
      35:	exit

Disassembly of section raw:

0000000000000000 <compute_raw>:
       0:	w0 = 0x0
       1:	r3 = *(u64 *)(r1 + 0x8)
       2:	r2 = *(u64 *)(r1 + 0x0)
       3:	r1 = r2
       4:	r1 += 0x8
       5:	if r1 > r3 goto +0x1d <compute_raw+0x118>
       6:	r4 = 0x0
       7:	w1 = 0x100
       8:	r3 = *(u64 *)(r2 + 0x0)
       9:	r3 |= 0x1
      10:	r2 = -0x61c8864680b583eb ll
      12:	r5 = r3
      13:	r5 <<= 0xd
      14:	r5 ^= r3
      15:	r0 = r5
      16:	r0 >>= 0x7
      17:	r0 ^= r5
      18:	r3 = r0
      19:	r3 <<= 0x11
      20:	r3 ^= r0
      21:	r5 = r3
      22:	r5 *= r2
      23:	r5 += r4
      24:	r4 = r5
      25:	r4 >>= 0x23
      26:	r5 <<= 0x1d
      27:	r5 |= r4
      28:	w1 += -0x1
      29:	r4 = r5
      30:	if w1 == 0x0 goto +0x1 <compute_raw+0x100>
      31:	goto -0x14 <compute_raw+0x60>
      32:	r0 = r5
      33:	r0 >>= 0x20
      34:	w0 ^= w5
      35:	exit
