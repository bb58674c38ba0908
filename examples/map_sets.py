#!/usr/bin/env python3
"""Writes the map-set.json files of the examples that need map contents (firewall, lb). Keys and values
are the bytes the maps store (little-endian integers, addresses in network order), as hex."""
import json
import socket
import struct
from pathlib import Path

HERE = Path(__file__).parent


def entry(map_name, key, value):
    return {"map": map_name, "key": key.hex(), "value": value.hex(), "flags": "any"}


def firewall():
    one = struct.pack("<I", 1)
    return [
        # struct lpm_v4_key / lpm_v6_key { __u32 prefixlen; __u8 addr[]; }
        entry("blocked_v4", struct.pack("<I", 26) + socket.inet_pton(socket.AF_INET, "10.99.0.64"), one),
        entry("blocked_v6", struct.pack("<I", 126) + socket.inet_pton(socket.AF_INET6, "fd99::64"), one),
        # struct port_key { __u16 port; __u8 proto; __u8 pad; }
        entry("blocked_ports", struct.pack("<HBB", 7003, 17, 0), one),
        entry("blocked_ports", struct.pack("<HBB", 7004, 6, 0), one),
    ]


def lb():
    backends = [("10.99.0.11", "02:00:00:00:01:0b"), ("10.99.0.12", "02:00:00:00:01:0c"),
                ("10.99.0.13", "02:00:00:00:01:0d"), ("10.99.0.14", "02:00:00:00:01:0e")]
    entries = []
    for i, (addr, mac) in enumerate(backends):
        # struct backend { __be32 addr; __u8 mac[6]; __u16 pad; }
        value = socket.inet_pton(socket.AF_INET, addr) + bytes.fromhex(mac.replace(":", "")) + b"\0\0"
        entries.append(entry("backends", struct.pack("<I", i), value))
    # Maglev-style population of the 64 slots: backend i walks slots offset_i, offset_i + skip_i, ...
    # (skip_i odd, so a permutation of 64) and takes the first free one, backends in turn.
    slots_n = 64
    offsets = [(13 * i + 5) % slots_n for i in range(len(backends))]
    skips = [7 + 6 * i for i in range(len(backends))]
    nexts = [0] * len(backends)
    table = [None] * slots_n
    filled = 0
    while filled < slots_n:
        for i in range(len(backends)):
            while True:
                slot = (offsets[i] + nexts[i] * skips[i]) % slots_n
                nexts[i] += 1
                if table[slot] is None:
                    break
            table[slot] = i
            filled += 1
            if filled == slots_n:
                break
    for slot, backend in enumerate(table):
        entries.append(entry("slots", struct.pack("<I", slot), struct.pack("<I", backend)))
    return entries


for name, make in (("firewall", firewall), ("lb", lb)):
    (HERE / name / "map-set.json").write_text(json.dumps(make(), indent=1) + "\n")
