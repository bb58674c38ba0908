#!/usr/bin/env python3
"""Writes the captures no Wireshark tool makes: eth-be.pcap (eth-ns.pcap in big-endian byte order)
and edge.pcapng (a little-endian and a big-endian section exercising every block and option case)."""
import struct

# eth-be.pcap: same header and records as eth-ns.pcap, every field byte-swapped.
src = open("eth-ns.pcap", "rb").read()
out = bytearray(struct.pack(">IHHiIII", *struct.unpack_from("<IHHiIII", src, 0)))
at = 24
while at < len(src):
    sec, frac, incl, orig = struct.unpack_from("<IIII", src, at)
    out += struct.pack(">IIII", sec, frac, incl, orig) + src[at + 16:at + 16 + incl]
    at += 16 + incl
open("eth-be.pcap", "wb").write(out)

ARP = bytes.fromhex("ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002")
UDP4 = bytes.fromhex("4500001c00020000401166cd0a0000020a00000104d2003500080000")
ETH6 = bytes.fromhex("02000000000202000000000186dd6000000000081140200100db8000000000000000000000001"
                     "200100db8000000000000000000000002003504d2000800 00ab".replace(" ", ""))[:63]


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def section(e):
    """Block writers for one section in byte order e ('<' or '>')."""

    def block(kind, body):
        body = pad(body)
        n = 12 + len(body)
        return struct.pack(e + "II", kind, n) + body + struct.pack(e + "I", n)

    def opt(code, value):
        return struct.pack(e + "HH", code, len(value)) + pad(value)

    def end():
        return struct.pack(e + "HH", 0, 0)

    def epb(iface, ts, data, orig, opts=b""):
        return block(6, struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xffffffff, len(data), orig) + pad(data) + opts)

    return block, opt, end, epb


out = bytearray()
# Section 1, little-endian.
block, opt, end, epb = section("<")
out += block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(1, b"edge") + opt(4, b"make.py") + end())
# IDB 0: Ethernet, no snaplen, name of odd length, 2^-20 s units, offset 1796378400 s.
out += block(1, struct.pack("<HHI", 1, 0, 0) + opt(2, b"eth0x") + opt(9, bytes([0x80 | 20]))
             + opt(10, struct.pack("<q", 1796378400)) + end())
# A name resolution block and an unknown block type: skipped by their lengths.
out += block(4, struct.pack("<HH", 1, 8) + bytes([10, 0, 0, 1]) + b"abc\0" + struct.pack("<HH", 0, 0))
out += block(0x12345678, b"")
# IDB 1: raw IP, snaplen 24, millisecond units, a comment of odd length, no end-of-options.
out += block(1, struct.pack("<HHI", 101, 0, 24) + opt(9, bytes([3])) + opt(1, b"seven.."))
# EPB on interface 0 with options (comment of 3 bytes, flags) and end-of-options.
out += epb(0, 3 * 2**20 + 123456, ARP, len(ARP), opt(1, b"hi!") + opt(2, struct.pack("<I", 1)) + end())
# EPB on interface 1 cut to the snaplen: 24 of 28 bytes, no options.
out += epb(1, 1796378400 * 1000 + 250, UDP4[:24], len(UDP4))
# Interface statistics block: skipped.
out += block(5, struct.pack("<III", 0, 0, 0))
# SPB: always interface 0; 63 bytes, padded.
out += block(3, struct.pack("<I", len(ETH6)) + ETH6)
# Obsolete packet block on interface 1 (16-bit interface id, 16-bit drop count).
out += block(2, struct.pack("<HHIIII", 1, 0, (1796378400999) >> 32, 1796378400999 & 0xffffffff, 20, 20) + pad(UDP4[:20]))

# Section 2, big-endian: interfaces start over.
block, opt, end, epb = section(">")
out += block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1) + end())
out += block(1, struct.pack(">HHI", 1, 0, 20) + opt(2, b"be0") + end())
out += epb(0, 1796378401 * 10**6 + 5, ARP[:20], len(ARP))
# SPB with an original length above the snaplen: 20 bytes captured.
out += block(3, struct.pack(">I", len(ARP)) + ARP[:20])
open("edge.pcapng", "wb").write(out)
