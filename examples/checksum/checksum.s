# RFC 1071 Internet checksum of the input memory: R1 = data, R2 = length.
# With an IPv4 header whose checksum field is zero, R0 is the checksum to put there;
# with a header that carries a correct checksum, R0 is 0.
	r0 = 0
	r3 = 0                          # byte offset
words:
	r4 = r3
	r4 += 1
	if r4 >= r2 goto tail           # fewer than two bytes left
	r5 = r1
	r5 += r3
	r6 = *(u16 *)(r5 + 0x0)
	r6 = be16 r6                    # the sum is over big-endian 16-bit words
	r0 += r6
	r3 += 2
	goto words
tail:
	if r3 >= r2 goto fold
	r5 = r1
	r5 += r3
	r6 = *(u8 *)(r5 + 0x0)          # an odd last byte is the high half of a word
	r6 <<= 8
	r0 += r6
fold:
	r6 = r0
	r6 >>= 16
	if r6 == 0 goto done
	r0 &= 0xffff
	r0 += r6
	goto fold
done:
	r0 ^= 0xffff
	exit
