Disassembly of section xdp:

0000000000000000 <parse_xdp>:
       0:	w0 = 0x1
       1:	r2 = *(u32 *)(r1 + 0x4)
       2:	r3 = *(u32 *)(r1 + 0x0)
       3:	r1 = r3
       4:	r1 += 0xe
       5:	if r1 > r2 goto +0x2c <parse_xdp+0x190>
       6:	r5 = *(u8 *)(r3 + 0xc)
       7:	r4 = *(u8 *)(r3 + 0xd)
       8:	w4 <<= 0x8
       9:	w4 |= w5
      10:	if w4 != 0x81 goto +0x4 <parse_xdp+0x78>
      11:	r1 = r3
      12:	r1 += 0x12
      13:	if r1 > r2 goto +0x24 <parse_xdp+0x190>
      14:	r4 = *(u16 *)(r3 + 0x10)
      15:	w0 = 0x2
      16:	if w4 != 0x8 goto +0x21 <parse_xdp+0x190>
      17:	r3 = r1
      18:	r3 += 0x14
      19:	w0 = 0x1
      20:	if r3 > r2 goto +0x1d <parse_xdp+0x190>
      21:	r3 = *(u8 *)(r1 + 0x0)
      22:	w4 = w3
      23:	w4 &= 0xf0
      24:	if w4 != 0x40 goto +0x19 <parse_xdp+0x190>
      25:	w3 &= 0xf
      26:	if w3 < 0x5 goto +0x17 <parse_xdp+0x190>
      27:	r4 = *(u8 *)(r1 + 0x6)
      28:	r5 = *(u8 *)(r1 + 0x7)
      29:	w5 <<= 0x8
      30:	w5 |= w4
      31:	w5 &= 0xff3f
      32:	w0 = 0x2
      33:	if w5 != 0x0 goto +0x10 <parse_xdp+0x190>
      34:	w3 <<= 0x2
      35:	r4 = *(u8 *)(r1 + 0x9)
      36:	r1 += r3
      37:	if w4 == 0x6 goto +0xd <parse_xdp+0x198>
      38:	if w4 != 0x11 goto +0xb <parse_xdp+0x190>
      39:	r3 = r1
      40:	r3 += 0x8
      41:	w0 = 0x1
      42:	if r3 > r2 goto +0x7 <parse_xdp+0x190>
      43:	r2 = *(u8 *)(r1 + 0x2)
      44:	r1 = *(u8 *)(r1 + 0x3)
      45:	w1 <<= 0x8
      46:	w1 |= w2
      47:	w0 = 0x3
      48:	if w1 == 0x3500 goto +0x1 <parse_xdp+0x190>
      49:	w0 = 0x2
      50:	exit
      51:	r3 = r1
      52:	r3 += 0x14
      53:	w0 = 0x1
      54:	if r3 > r2 goto -0x5 <parse_xdp+0x190>
      55:	r4 = *(u8 *)(r1 + 0xc)
      56:	w3 = w4
      57:	if w4 < 0x50 goto -0x8 <parse_xdp+0x190>
      58:	w9 = 0x0
      59:	w4 = w3
      60:	w4 >>= 0x2
      61:	w4 &= 0x3c
      62:	w3 = 0x0
      63:	*(u32 *)(r10 - 0x20) = r3
      64:	*(u32 *)(r10 - 0x18) = r3
      65:	*(u32 *)(r10 - 0x10) = r3
      66:	*(u32 *)(r10 - 0x8) = r4
      67:	if w4 < 0x15 goto +0x1c <parse_xdp+0x300>
      68:	w8 = 0x14
      69:	w4 = 0x0
      70:	*(u32 *)(r10 - 0x28) = r4
      71:	*(u32 *)(r10 - 0x20) = r4
      72:	*(u32 *)(r10 - 0x18) = r4
      73:	*(u32 *)(r10 - 0x10) = r4
      74:	goto +0x1d <parse_xdp+0x340>
      75:	w9 = w3
      76:	w9 += 0x1
      77:	if w3 > 0x26 goto +0x4 <parse_xdp+0x290>
      78:	w8 += w4
      79:	w3 = w9
      80:	r4 = *(u32 *)(r10 - 0x8)
      81:	if w8 < w4 goto +0x16 <parse_xdp+0x340>
      82:	r1 = *(u32 *)(r10 - 0x20)
      83:	w1 <<= 0x1c
      84:	*(u32 *)(r10 - 0x20) = r1
      85:	r1 = *(u32 *)(r10 - 0x18)
      86:	w1 <<= 0x18
      87:	*(u32 *)(r10 - 0x18) = r1
      88:	r1 = *(u32 *)(r10 - 0x10)
      89:	w1 <<= 0x10
      90:	*(u32 *)(r10 - 0x10) = r1
      91:	w9 <<= 0x8
      92:	r1 = *(u32 *)(r10 - 0x28)
      93:	w1 += -0x1
      94:	w0 = 0x1
      95:	if w1 < 0x217 goto -0x2e <parse_xdp+0x190>
      96:	r1 = *(u32 *)(r10 - 0x18)
      97:	r0 = *(u32 *)(r10 - 0x10)
      98:	w0 |= w1
      99:	r1 = *(u32 *)(r10 - 0x20)
     100:	w0 |= w1
     101:	w0 |= w9
     102:	w0 |= 0x2
     103:	goto -0x36 <parse_xdp+0x190>
     104:	w8 &= 0x3f
     105:	r6 = r1
     106:	r6 += r8
     107:	r7 = r6
     108:	r7 += 0x1
     109:	w0 = 0x1
     110:	if r7 > r2 goto -0x3d <parse_xdp+0x190>
     111:	r5 = *(u8 *)(r6 + 0x0)
     112:	w9 = w3
     113:	if w5 == 0x0 goto -0x20 <parse_xdp+0x290>
     114:	w4 = 0x1
     115:	if w5 == 0x1 goto -0x29 <parse_xdp+0x258>
     116:	r9 = r6
     117:	r9 += 0x2
     118:	if r9 > r2 goto -0x45 <parse_xdp+0x190>
     119:	r4 = *(u8 *)(r7 + 0x0)
     120:	if w4 < 0x2 goto -0x47 <parse_xdp+0x190>
     121:	if w5 != 0x2 goto +0xa <parse_xdp+0x420>
     122:	if w4 != 0x4 goto +0x9 <parse_xdp+0x420>
     123:	r5 = r6
     124:	r5 += 0x4
     125:	if r5 > r2 goto -0x4c <parse_xdp+0x190>
     126:	r5 = *(u8 *)(r6 + 0x3)
     127:	r0 = *(u8 *)(r6 + 0x2)
     128:	w0 <<= 0x8
     129:	w0 |= w5
     130:	*(u32 *)(r10 - 0x28) = r0
     131:	goto -0x39 <parse_xdp+0x258>
     132:	if w5 != 0x3 goto +0x6 <parse_xdp+0x458>
     133:	if w4 != 0x3 goto +0x5 <parse_xdp+0x458>
     134:	r6 += 0x3
     135:	if r6 > r2 goto -0x56 <parse_xdp+0x190>
     136:	r5 = *(u8 *)(r9 + 0x0)
     137:	*(u32 *)(r10 - 0x10) = r5
     138:	goto -0x40 <parse_xdp+0x258>
     139:	if w5 != 0x5 goto +0x5 <parse_xdp+0x488>
     140:	w5 = w4
     141:	w5 += -0x2
     142:	w5 >>= 0x3
     143:	*(u32 *)(r10 - 0x18) = r5
     144:	goto -0x46 <parse_xdp+0x258>
     145:	if w5 != 0x8 goto -0x47 <parse_xdp+0x258>
     146:	if w4 != 0xa goto -0x48 <parse_xdp+0x258>
     147:	w5 = 0x1
     148:	*(u32 *)(r10 - 0x20) = r5
     149:	goto -0x4b <parse_xdp+0x258>

Disassembly of section raw:

0000000000000000 <parse_raw>:
       0:	w0 = 0x1
       1:	r2 = *(u64 *)(r1 + 0x8)
       2:	r3 = *(u64 *)(r1 + 0x0)
       3:	r1 = r3
       4:	r1 += 0xe
       5:	if r1 > r2 goto +0x2c <parse_raw+0x190>
       6:	r5 = *(u8 *)(r3 + 0xc)
       7:	r4 = *(u8 *)(r3 + 0xd)
       8:	w4 <<= 0x8
       9:	w4 |= w5
      10:	if w4 != 0x81 goto +0x4 <parse_raw+0x78>
      11:	r1 = r3
      12:	r1 += 0x12
      13:	if r1 > r2 goto +0x24 <parse_raw+0x190>
      14:	r4 = *(u16 *)(r3 + 0x10)
      15:	w0 = 0x2
      16:	if w4 != 0x8 goto +0x21 <parse_raw+0x190>
      17:	r3 = r1
      18:	r3 += 0x14
      19:	w0 = 0x1
      20:	if r3 > r2 goto +0x1d <parse_raw+0x190>
      21:	r3 = *(u8 *)(r1 + 0x0)
      22:	w4 = w3
      23:	w4 &= 0xf0
      24:	if w4 != 0x40 goto +0x19 <parse_raw+0x190>
      25:	w3 &= 0xf
      26:	if w3 < 0x5 goto +0x17 <parse_raw+0x190>
      27:	r4 = *(u8 *)(r1 + 0x6)
      28:	r5 = *(u8 *)(r1 + 0x7)
      29:	w5 <<= 0x8
      30:	w5 |= w4
      31:	w5 &= 0xff3f
      32:	w0 = 0x2
      33:	if w5 != 0x0 goto +0x10 <parse_raw+0x190>
      34:	w3 <<= 0x2
      35:	r4 = *(u8 *)(r1 + 0x9)
      36:	r1 += r3
      37:	if w4 == 0x6 goto +0xd <parse_raw+0x198>
      38:	if w4 != 0x11 goto +0xb <parse_raw+0x190>
      39:	r3 = r1
      40:	r3 += 0x8
      41:	w0 = 0x1
      42:	if r3 > r2 goto +0x7 <parse_raw+0x190>
      43:	r2 = *(u8 *)(r1 + 0x2)
      44:	r1 = *(u8 *)(r1 + 0x3)
      45:	w1 <<= 0x8
      46:	w1 |= w2
      47:	w0 = 0x3
      48:	if w1 == 0x3500 goto +0x1 <parse_raw+0x190>
      49:	w0 = 0x2
      50:	exit
      51:	r3 = r1
      52:	r3 += 0x14
      53:	w0 = 0x1
      54:	if r3 > r2 goto -0x5 <parse_raw+0x190>
      55:	r4 = *(u8 *)(r1 + 0xc)
      56:	w3 = w4
      57:	if w4 < 0x50 goto -0x8 <parse_raw+0x190>
      58:	w9 = 0x0
      59:	w4 = w3
      60:	w4 >>= 0x2
      61:	w4 &= 0x3c
      62:	w3 = 0x0
      63:	*(u32 *)(r10 - 0x20) = r3
      64:	*(u32 *)(r10 - 0x18) = r3
      65:	*(u32 *)(r10 - 0x10) = r3
      66:	*(u32 *)(r10 - 0x8) = r4
      67:	if w4 < 0x15 goto +0x1c <parse_raw+0x300>
      68:	w8 = 0x14
      69:	w4 = 0x0
      70:	*(u32 *)(r10 - 0x28) = r4
      71:	*(u32 *)(r10 - 0x20) = r4
      72:	*(u32 *)(r10 - 0x18) = r4
      73:	*(u32 *)(r10 - 0x10) = r4
      74:	goto +0x1d <parse_raw+0x340>
      75:	w9 = w3
      76:	w9 += 0x1
      77:	if w3 > 0x26 goto +0x4 <parse_raw+0x290>
      78:	w8 += w4
      79:	w3 = w9
      80:	r4 = *(u32 *)(r10 - 0x8)
      81:	if w8 < w4 goto +0x16 <parse_raw+0x340>
      82:	r1 = *(u32 *)(r10 - 0x20)
      83:	w1 <<= 0x1c
      84:	*(u32 *)(r10 - 0x20) = r1
      85:	r1 = *(u32 *)(r10 - 0x18)
      86:	w1 <<= 0x18
      87:	*(u32 *)(r10 - 0x18) = r1
      88:	r1 = *(u32 *)(r10 - 0x10)
      89:	w1 <<= 0x10
      90:	*(u32 *)(r10 - 0x10) = r1
      91:	w9 <<= 0x8
      92:	r1 = *(u32 *)(r10 - 0x28)
      93:	w1 += -0x1
      94:	w0 = 0x1
      95:	if w1 < 0x217 goto -0x2e <parse_raw+0x190>
      96:	r1 = *(u32 *)(r10 - 0x18)
      97:	r0 = *(u32 *)(r10 - 0x10)
      98:	w0 |= w1
      99:	r1 = *(u32 *)(r10 - 0x20)
     100:	w0 |= w1
     101:	w0 |= w9
     102:	w0 |= 0x2
     103:	goto -0x36 <parse_raw+0x190>
     104:	w8 &= 0x3f
     105:	r6 = r1
     106:	r6 += r8
     107:	r7 = r6
     108:	r7 += 0x1
     109:	w0 = 0x1
     110:	if r7 > r2 goto -0x3d <parse_raw+0x190>
     111:	r5 = *(u8 *)(r6 + 0x0)
     112:	w9 = w3
     113:	if w5 == 0x0 goto -0x20 <parse_raw+0x290>
     114:	w4 = 0x1
     115:	if w5 == 0x1 goto -0x29 <parse_raw+0x258>
     116:	r9 = r6
     117:	r9 += 0x2
     118:	if r9 > r2 goto -0x45 <parse_raw+0x190>
     119:	r4 = *(u8 *)(r7 + 0x0)
     120:	if w4 < 0x2 goto -0x47 <parse_raw+0x190>
     121:	if w5 != 0x2 goto +0xa <parse_raw+0x420>
     122:	if w4 != 0x4 goto +0x9 <parse_raw+0x420>
     123:	r5 = r6
     124:	r5 += 0x4
     125:	if r5 > r2 goto -0x4c <parse_raw+0x190>
     126:	r5 = *(u8 *)(r6 + 0x3)
     127:	r0 = *(u8 *)(r6 + 0x2)
     128:	w0 <<= 0x8
     129:	w0 |= w5
     130:	*(u32 *)(r10 - 0x28) = r0
     131:	goto -0x39 <parse_raw+0x258>
     132:	if w5 != 0x3 goto +0x6 <parse_raw+0x458>
     133:	if w4 != 0x3 goto +0x5 <parse_raw+0x458>
     134:	r6 += 0x3
     135:	if r6 > r2 goto -0x56 <parse_raw+0x190>
     136:	r5 = *(u8 *)(r9 + 0x0)
     137:	*(u32 *)(r10 - 0x10) = r5
     138:	goto -0x40 <parse_raw+0x258>
     139:	if w5 != 0x5 goto +0x5 <parse_raw+0x488>
     140:	w5 = w4
     141:	w5 += -0x2
     142:	w5 >>= 0x3
     143:	*(u32 *)(r10 - 0x18) = r5
     144:	goto -0x46 <parse_raw+0x258>
     145:	if w5 != 0x8 goto -0x47 <parse_raw+0x258>
     146:	if w4 != 0xa goto -0x48 <parse_raw+0x258>
     147:	w5 = 0x1
     148:	*(u32 *)(r10 - 0x20) = r5
     149:	goto -0x4b <parse_raw+0x258>
