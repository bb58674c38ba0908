Disassembly of section xdp:

0000000000000000 <checksum_xdp>:
       0:	w0 = 0x0
       1:	r3 = *(u32 *)(r1 + 0x4)
       2:	r2 = *(u32 *)(r1 + 0x0)
       3:	r1 = r2
       4:	r1 += 0x5dc
       5:	if r1 > r3 goto +0x16 <checksum_xdp+0xe0>
       6:	r3 = 0x0
       7:	r1 = 0x0
       8:	r4 = r3
       9:	r5 = r2
      10:	r5 += r4
      11:	r5 = *(u16 *)(r5 + 0x0)
      12:	r1 += r5
      13:	r3 += 0x2
      14:	if r4 < 0x5da goto -0x7 <checksum_xdp+0x40>
      15:	r2 = r1
      16:	r2 >>= 0x10
      17:	r1 &= 0xffff
      18:	r1 += r2
      19:	r2 = r1
      20:	r2 >>= 0x10
      21:	w1 &= 0xffff
      22:	w1 += w2
      23:	w0 = w1
      24:	w0 >>= 0x10
      25:	w0 += w1
      26:	w0 ^= -0x1
      27:	w0 &= 0xffff
      28:	exit

Disassembly of section raw:

0000000000000000 <checksum_raw>:
       0:	w0 = 0x0
       1:	r3 = *(u64 *)(r1 + 0x8)
       2:	r2 = *(u64 *)(r1 + 0x0)
       3:	r1 = r2
       4:	r1 += 0x5dc
       5:	if r1 > r3 goto +0x16 <checksum_raw+0xe0>
       6:	r3 = 0x0
       7:	r1 = 0x0
       8:	r4 = r3
       9:	r5 = r2
      10:	r5 += r4
      11:	r5 = *(u16 *)(r5 + 0x0)
      12:	r1 += r5
      13:	r3 += 0x2
      14:	if r4 < 0x5da goto -0x7 <checksum_raw+0x40>
      15:	r2 = r1
      16:	r2 >>= 0x10
      17:	r1 &= 0xffff
      18:	r1 += r2
      19:	r2 = r1
      20:	r2 >>= 0x10
      21:	w1 &= 0xffff
      22:	w1 += w2
      23:	w0 = w1
      24:	w0 >>= 0x10
      25:	w0 += w1
      26:	w0 ^= -0x1
      27:	w0 &= 0xffff
      28:	exit
