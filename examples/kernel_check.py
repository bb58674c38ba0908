#!/usr/bin/env python3
"""Cross-checks the examples in the running kernel (root): for each NAME given (default: all), loads
NAME/NAME.o with bpftool (maps pinned), fills the maps from NAME/map-set.json if present, runs every
packet of NAME/NAME.pcap through BPF_PROG_TEST_RUN (`bpftool prog run ... repeat 1`), and compares the
action counts with NAME/expected.json. The packets the program rewrote are written to
/tmp/hb-check/NAME-out.pcap and checked by tshark: no bad IPv4/TCP/UDP/ICMP checksum. Everything pinned
is removed afterwards. Prints one line per example; exits non-zero on any difference."""
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

ACTIONS = {0: "aborted", 1: "drop", 2: "pass", 3: "tx", 4: "redirect"}
OUT = Path("/tmp/hb-check")


def read_pcap(path):
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, f"{path}: not a little-endian microsecond pcap"
    packets, off = [], 24
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        packets.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return packets


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for n, p in enumerate(packets):
            f.write(struct.pack("<IIII", n, 0, len(p), len(p)) + p)


def bpftool(*args):
    return subprocess.run(["bpftool", *args], check=True, capture_output=True, text=True).stdout


def hexbytes(h):
    return [h[i:i + 2] for i in range(0, len(h), 2)]


def check(name):
    ex = Path(name)
    prog, maps = f"/sys/fs/bpf/hb_{name}", f"/sys/fs/bpf/hb_{name}_maps"
    expected = json.loads((ex / "expected.json").read_text())
    counts = dict.fromkeys(ACTIONS.values(), 0)
    changed, per_packet = [], []
    try:
        bpftool("prog", "load", str(ex / f"{name}.o"), prog, "pinmaps", maps)
        map_set = ex / "map-set.json"
        if map_set.exists():
            for e in json.loads(map_set.read_text()):
                bpftool("map", "update", "pinned", f"{maps}/{e['map']}", "key", "hex", *hexbytes(e["key"]),
                        "value", "hex", *hexbytes(e["value"]), e["flags"])
        for n, pkt in enumerate(read_pcap(ex / f"{name}.pcap"), 1):
            (OUT / "in").write_bytes(pkt)
            out = bpftool("prog", "run", "pinned", prog, "data_in", str(OUT / "in"),
                          "data_out", str(OUT / "out"), "repeat", "1")
            action = ACTIONS[int(out.split("Return value: ")[1].split(",")[0])]
            counts[action] += 1
            per_packet.append(action)
            result = (OUT / "out").read_bytes()
            if action != "drop" and result != pkt:
                changed.append(result)
        if name == "counter":
            dump = json.loads(bpftool("-j", "map", "dump", "pinned", f"{maps}/proto_counts"))
            got = {}
            for entry in dump:
                f = entry["formatted"]
                got[f["key"]] = (sum(v["value"]["packets"] for v in f["values"]),
                                 sum(v["value"]["bytes"] for v in f["values"]))
            for label, p in expected["protocols"].items():
                if got[p["key"]] != (p["packets"], p["bytes"]):
                    sys.exit(f"kernel_check: counter: proto_counts[{p['key']}] ({label}) = {got[p['key']]},"
                             f" expected {(p['packets'], p['bytes'])}")
    finally:
        Path(prog).unlink(missing_ok=True)
        shutil.rmtree(maps, ignore_errors=True)
    (OUT / f"{name}-actions.txt").write_text("".join(f"{i} {a}\n" for i, a in enumerate(per_packet, 1)))
    write_pcap(OUT / f"{name}-out.pcap", changed)
    bad = subprocess.run(["tshark", "-n", "-r", str(OUT / f"{name}-out.pcap"),
                          "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                          "-o", "tcp.check_checksum:TRUE",
                          "-Y", "ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || "
                                "tcp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\" || "
                                "icmpv6.checksum.status == \"Bad\""],
                         check=True, capture_output=True, text=True).stdout.strip()
    ok = counts == expected["actions"] and not bad
    print(f"kernel_check: {name}: {'ok' if ok else 'MISMATCH'}: kernel {counts}; expected.json "
          f"{expected['actions']}; {len(changed)} rewritten packet(s), "
          f"{len(bad.splitlines()) if bad else 0} with a bad checksum")
    if bad:
        print(bad)
    return ok


if __name__ == "__main__":
    import os
    os.chdir(Path(__file__).parent)
    OUT.mkdir(exist_ok=True)
    names = sys.argv[1:] or ["counter", "firewall", "reflector", "ipip", "dns_truncate", "lb"]
    results = [check(n) for n in names]
    sys.exit(0 if all(results) else 1)
