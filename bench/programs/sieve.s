Disassembly of section xdp:

0000000000000000 <sieve_xdp>:
       0:	w0 = 0x0
       1:	r2 = *(u32 *)(r1 + 0x4)
       2:	r1 = *(u32 *)(r1 + 0x0)
       3:	r3 = r1
       4:	r3 += 0x400
       5:	if r3 > r2 goto +0x33 <sieve_xdp+0x1c8>
       6:	r2 = 0x0
       7:	goto +0xa <sieve_xdp+0x90>
       8:	r4 = r1
       9:	r4 += r2
      10:	*(u8 *)(r4 + 0x0) = r3
      11:	r2 += 0x1
      12:	if r2 != 0x400 goto +0x5 <sieve_xdp+0x90>
      13:	w2 = 0x4
      14:	r3 = 0x2
      15:	r4 = 0x5
      16:	w5 = 0x0
      17:	goto +0x11 <sieve_xdp+0x118>
      18:	w3 = 0x1
      19:	if r2 > 0x1 goto -0xc <sieve_xdp+0x40>
      20:	w3 = 0x0
      21:	goto -0xe <sieve_xdp+0x40>
      22:	r6 = r1
      23:	r6 += r0
      24:	*(u8 *)(r6 + 0x0) = r5
      25:	r0 += r3
      26:	if r0 < 0x400 goto -0x5 <sieve_xdp+0xb0>
      27:	w2 += w4
      28:	r4 += 0x2
      29:	r3 += 0x1
      30:	if r3 != 0x20 goto +0x4 <sieve_xdp+0x118>
      31:	w4 = 0x0
      32:	r3 = 0x0
      33:	w2 = 0x0
      34:	goto +0x9 <sieve_xdp+0x160>
      35:	r0 = r1
      36:	r0 += r3
      37:	r0 = *(u8 *)(r0 + 0x0)
      38:	if w0 == 0x0 goto -0xc <sieve_xdp+0xd8>
      39:	r0 = r3
      40:	r0 *= r0
      41:	if r0 > 0x3ff goto -0xf <sieve_xdp+0xd8>
      42:	r0 = r2
      43:	goto -0x16 <sieve_xdp+0xb0>
      44:	r5 = r1
      45:	r5 += r3
      46:	r5 = *(u8 *)(r5 + 0x0)
      47:	w2 += w5
      48:	w0 = w3
      49:	w0 *= w5
      50:	w0 += w4
      51:	r3 += 0x1
      52:	w4 = w0
      53:	if r3 == 0x400 goto +0x1 <sieve_xdp+0x1b8>
      54:	goto -0xb <sieve_xdp+0x160>
      55:	w0 <<= 0x8
      56:	w0 |= w2
      57:	exit

Disassembly of section raw:

0000000000000000 <sieve_raw>:
       0:	w0 = 0x0
       1:	r2 = *(u64 *)(r1 + 0x8)
       2:	r1 = *(u64 *)(r1 + 0x0)
       3:	r3 = r1
       4:	r3 += 0x400
       5:	if r3 > r2 goto +0x33 <sieve_raw+0x1c8>
       6:	r2 = 0x0
       7:	goto +0xa <sieve_raw+0x90>
       8:	r4 = r1
       9:	r4 += r2
      10:	*(u8 *)(r4 + 0x0) = r3
      11:	r2 += 0x1
      12:	if r2 != 0x400 goto +0x5 <sieve_raw+0x90>
      13:	w2 = 0x4
      14:	r3 = 0x2
      15:	r4 = 0x5
      16:	w5 = 0x0
      17:	goto +0x11 <sieve_raw+0x118>
      18:	w3 = 0x1
      19:	if r2 > 0x1 goto -0xc <sieve_raw+0x40>
      20:	w3 = 0x0
      21:	goto -0xe <sieve_raw+0x40>
      22:	r6 = r1
      23:	r6 += r0
      24:	*(u8 *)(r6 + 0x0) = r5
      25:	r0 += r3
      26:	if r0 < 0x400 goto -0x5 <sieve_raw+0xb0>
      27:	w2 += w4
      28:	r4 += 0x2
      29:	r3 += 0x1
      30:	if r3 != 0x20 goto +0x4 <sieve_raw+0x118>
      31:	w4 = 0x0
      32:	r3 = 0x0
      33:	w2 = 0x0
      34:	goto +0x9 <sieve_raw+0x160>
      35:	r0 = r1
      36:	r0 += r3
      37:	r0 = *(u8 *)(r0 + 0x0)
      38:	if w0 == 0x0 goto -0xc <sieve_raw+0xd8>
      39:	r0 = r3
      40:	r0 *= r0
      41:	if r0 > 0x3ff goto -0xf <sieve_raw+0xd8>
      42:	r0 = r2
      43:	goto -0x16 <sieve_raw+0xb0>
      44:	r5 = r1
      45:	r5 += r3
      46:	r5 = *(u8 *)(r5 + 0x0)
      47:	w2 += w5
      48:	w0 = w3
      49:	w0 *= w5
      50:	w0 += w4
      51:	r3 += 0x1
      52:	w4 = w0
      53:	if r3 == 0x400 goto +0x1 <sieve_raw+0x1b8>
      54:	goto -0xb <sieve_raw+0x160>
      55:	w0 <<= 0x8
      56:	w0 |= w2
      57:	exit
