Disassembly of section xdp:

0000000000000000 <tlv_xdp>:
       0:	w8 = 0x0
       1:	r2 = *(u32 *)(r1 + 0x4)
       2:	*(u64 *)(r10 - 0x8) = r2
       3:	r1 = *(u32 *)(r1 + 0x0)
       4:	*(u64 *)(r10 - 0x10) = r1
       5:	w6 = 0x0
       6:	w1 = 0x0
       7:	w0 = 0x0
       8:	w5 = 0x0
       9:	w2 = 0x0
      10:	goto +0xe <tlv_xdp+0xc8>
      11:	w7 &= 0x1f
      12:	w7 += w6
      13:	w2 += 0x1
      14:	w7 += 0x2
      15:	w5 += 0x1
      16:	w6 = w7
      17:	if w5 != 0x40 goto +0x7 <tlv_xdp+0xc8>
      18:	w0 <<= 0x1
      19:	w0 ^= w2
      20:	w0 ^= w1
      21:	w8 &= 0x1
      22:	if w8 != 0x0 goto +0x44 <tlv_xdp+0x2d8>
      23:	w0 = w9
      24:	goto +0x42 <tlv_xdp+0x2d8>
      25:	w6 &= 0x3ff
      26:	r4 = *(u64 *)(r10 - 0x10)
      27:	r4 += r6
      28:	r3 = r4
      29:	r3 += 0x4
      30:	w9 = 0x0
      31:	r7 = *(u64 *)(r10 - 0x8)
      32:	if r3 > r7 goto -0xf <tlv_xdp+0x90>
      33:	r9 = *(u8 *)(r4 + 0x2)
      34:	r7 = *(u8 *)(r4 + 0x1)
      35:	r3 = *(u8 *)(r4 + 0x0)
      36:	if w3 s> 0x4 goto +0x8 <tlv_xdp+0x168>
      37:	if w3 s> 0x1 goto +0x11 <tlv_xdp+0x1b8>
      38:	if w3 == 0x0 goto +0x29 <tlv_xdp+0x280>
      39:	if w3 == 0x1 goto +0x1 <tlv_xdp+0x148>
      40:	goto +0x33 <tlv_xdp+0x2e0>
      41:	w9 <<= 0x3
      42:	w9 ^= w0
      43:	w0 = w9
      44:	goto +0x29 <tlv_xdp+0x2b0>
      45:	if w3 s> 0x6 goto +0x11 <tlv_xdp+0x1f8>
      46:	if w3 == 0x5 goto +0x25 <tlv_xdp+0x2a0>
      47:	if w3 == 0x6 goto +0x1 <tlv_xdp+0x188>
      48:	goto +0x2b <tlv_xdp+0x2e0>
      49:	r3 = *(u8 *)(r4 + 0x3)
      50:	w3 <<= 0x8
      51:	w3 |= w9
      52:	w3 += w1
      53:	w1 = w3
      54:	goto +0x1f <tlv_xdp+0x2b0>
      55:	if w3 == 0x2 goto +0x17 <tlv_xdp+0x278>
      56:	if w3 == 0x3 goto +0xc <tlv_xdp+0x228>
      57:	if w3 == 0x4 goto +0x1 <tlv_xdp+0x1d8>
      58:	goto +0x21 <tlv_xdp+0x2e0>
      59:	w3 = w0
      60:	w3 >>= 0x2
      61:	w1 ^= w3
      62:	goto +0x17 <tlv_xdp+0x2b0>
      63:	if w3 == 0x7 goto +0x12 <tlv_xdp+0x290>
      64:	if w3 == 0x8 goto +0x9 <tlv_xdp+0x250>
      65:	if w3 == 0x9 goto +0x1 <tlv_xdp+0x218>
      66:	goto +0x19 <tlv_xdp+0x2e0>
      67:	w2 += 0x64
      68:	goto +0x11 <tlv_xdp+0x2b0>
      69:	w3 = w1
      70:	w3 ^= w9
      71:	w3 += w0
      72:	w0 = w3
      73:	goto +0xc <tlv_xdp+0x2b0>
      74:	w3 = w1
      75:	w3 >>= 0x1b
      76:	w1 <<= 0x5
      77:	w1 |= w3
      78:	goto +0x7 <tlv_xdp+0x2b0>
      79:	w1 *= 0x21
      80:	w1 += w9
      81:	goto +0x4 <tlv_xdp+0x2b0>
      82:	w0 -= w9
      83:	goto +0x2 <tlv_xdp+0x2b0>
      84:	w0 *= 0x5
      85:	w0 += w7
      86:	w9 = 0x0
      87:	w8 = 0x1
      88:	if w5 > 0x3e goto -0x4e <tlv_xdp+0x58>
      89:	w8 = 0x0
      90:	goto -0x50 <tlv_xdp+0x58>
      91:	exit
      92:	w9 = w1
      93:	w9 ^= w2
      94:	w9 ^= w0
      95:	w9 ^= -0x21530000
      96:	goto -0x4f <tlv_xdp+0x90>

Disassembly of section raw:

0000000000000000 <tlv_raw>:
       0:	w8 = 0x0
       1:	r2 = *(u64 *)(r1 + 0x8)
       2:	*(u64 *)(r10 - 0x8) = r2
       3:	r1 = *(u64 *)(r1 + 0x0)
       4:	*(u64 *)(r10 - 0x10) = r1
       5:	w6 = 0x0
       6:	w1 = 0x0
       7:	w0 = 0x0
       8:	w5 = 0x0
       9:	w2 = 0x0
      10:	goto +0xe <tlv_raw+0xc8>
      11:	w7 &= 0x1f
      12:	w7 += w6
      13:	w2 += 0x1
      14:	w7 += 0x2
      15:	w5 += 0x1
      16:	w6 = w7
      17:	if w5 != 0x40 goto +0x7 <tlv_raw+0xc8>
      18:	w0 <<= 0x1
      19:	w0 ^= w2
      20:	w0 ^= w1
      21:	w8 &= 0x1
      22:	if w8 != 0x0 goto +0x44 <tlv_raw+0x2d8>
      23:	w0 = w9
      24:	goto +0x42 <tlv_raw+0x2d8>
      25:	w6 &= 0x3ff
      26:	r4 = *(u64 *)(r10 - 0x10)
      27:	r4 += r6
      28:	r3 = r4
      29:	r3 += 0x4
      30:	w9 = 0x0
      31:	r7 = *(u64 *)(r10 - 0x8)
      32:	if r3 > r7 goto -0xf <tlv_raw+0x90>
      33:	r9 = *(u8 *)(r4 + 0x2)
      34:	r7 = *(u8 *)(r4 + 0x1)
      35:	r3 = *(u8 *)(r4 + 0x0)
      36:	if w3 s> 0x4 goto +0x8 <tlv_raw+0x168>
      37:	if w3 s> 0x1 goto +0x11 <tlv_raw+0x1b8>
      38:	if w3 == 0x0 goto +0x29 <tlv_raw+0x280>
      39:	if w3 == 0x1 goto +0x1 <tlv_raw+0x148>
      40:	goto +0x33 <tlv_raw+0x2e0>
      41:	w9 <<= 0x3
      42:	w9 ^= w0
      43:	w0 = w9
      44:	goto +0x29 <tlv_raw+0x2b0>
      45:	if w3 s> 0x6 goto +0x11 <tlv_raw+0x1f8>
      46:	if w3 == 0x5 goto +0x25 <tlv_raw+0x2a0>
      47:	if w3 == 0x6 goto +0x1 <tlv_raw+0x188>
      48:	goto +0x2b <tlv_raw+0x2e0>
      49:	r3 = *(u8 *)(r4 + 0x3)
      50:	w3 <<= 0x8
      51:	w3 |= w9
      52:	w3 += w1
      53:	w1 = w3
      54:	goto +0x1f <tlv_raw+0x2b0>
      55:	if w3 == 0x2 goto +0x17 <tlv_raw+0x278>
      56:	if w3 == 0x3 goto +0xc <tlv_raw+0x228>
      57:	if w3 == 0x4 goto +0x1 <tlv_raw+0x1d8>
      58:	goto +0x21 <tlv_raw+0x2e0>
      59:	w3 = w0
      60:	w3 >>= 0x2
      61:	w1 ^= w3
      62:	goto +0x17 <tlv_raw+0x2b0>
      63:	if w3 == 0x7 goto +0x12 <tlv_raw+0x290>
      64:	if w3 == 0x8 goto +0x9 <tlv_raw+0x250>
      65:	if w3 == 0x9 goto +0x1 <tlv_raw+0x218>
      66:	goto +0x19 <tlv_raw+0x2e0>
      67:	w2 += 0x64
      68:	goto +0x11 <tlv_raw+0x2b0>
      69:	w3 = w1
      70:	w3 ^= w9
      71:	w3 += w0
      72:	w0 = w3
      73:	goto +0xc <tlv_raw+0x2b0>
      74:	w3 = w1
      75:	w3 >>= 0x1b
      76:	w1 <<= 0x5
      77:	w1 |= w3
      78:	goto +0x7 <tlv_raw+0x2b0>
      79:	w1 *= 0x21
      80:	w1 += w9
      81:	goto +0x4 <tlv_raw+0x2b0>
      82:	w0 -= w9
      83:	goto +0x2 <tlv_raw+0x2b0>
      84:	w0 *= 0x5
      85:	w0 += w7
      86:	w9 = 0x0
      87:	w8 = 0x1
      88:	if w5 > 0x3e goto -0x4e <tlv_raw+0x58>
      89:	w8 = 0x0
      90:	goto -0x50 <tlv_raw+0x58>
      91:	exit
      92:	w9 = w1
      93:	w9 ^= w2
      94:	w9 ^= w0
      95:	w9 ^= -0x21530000
      96:	goto -0x4f <tlv_raw+0x90>
