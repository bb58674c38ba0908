#!/usr/bin/env python3
"""Writes NAME/expected.json for each example NAME given: the packet count per XDP action, derived from
NAME/NAME.pcap by tshark display filters alone, independently of the BPF program. The filters below
state, in Wireshark's terms, which packets each program (with its map-set.json, if any) sends to which
action; each action's filter, with its count, is recorded in the output. Refuses a capture whose action
filters do not partition it, or that holds ICMP errors (their quoted headers would match the filters)."""
import json
import subprocess
import sys
from pathlib import Path

ETH_IPV4 = "eth.type == 0x0800"
ETH_IPV6 = "eth.type == 0x86dd"
ACTIONS = ("pass", "drop", "tx", "redirect", "aborted")
ICMP_ERRORS = "icmp.type == 3 || icmp.type == 4 || icmp.type == 5 || icmp.type == 11 || icmp.type == 12" \
              " || (icmpv6.type >= 1 && icmpv6.type <= 4)"

# counter: one class per key of proto_counts; "other" is what no other class takes.
COUNTER_CLASSES = {
    "1 arp": "eth.type == 0x0806",
    "2 ipv4/icmp": f"{ETH_IPV4} && ip.proto == 1",
    "3 ipv4/tcp": f"{ETH_IPV4} && ip.proto == 6",
    "4 ipv4/udp": f"{ETH_IPV4} && ip.proto == 17",
    "5 ipv6/icmpv6": f"{ETH_IPV6} && ipv6.nxt == 58",
    "6 ipv6/tcp": f"{ETH_IPV6} && ipv6.nxt == 6",
    "7 ipv6/udp": f"{ETH_IPV6} && ipv6.nxt == 17",
}
COUNTER_CLASSES = {"0 other": "!(" + " || ".join(f"({f})" for f in COUNTER_CLASSES.values()) + ")",
                   **COUNTER_CLASSES}

# firewall with its map-set.json: sources 10.99.0.64/26 and fd99::64/126, destination ports 7003/udp
# and 7004/tcp blocked.
FIREWALL_DROP = (f"({ETH_IPV4} && (ip.src == 10.99.0.64/26 || (ip.proto == 17 && udp.dstport == 7003)"
                 f" || (ip.proto == 6 && tcp.dstport == 7004)))"
                 f" || ({ETH_IPV6} && (ipv6.src == fd99::64/126 || (ipv6.nxt == 17 && udp.dstport == 7003)"
                 f" || (ipv6.nxt == 6 && tcp.dstport == 7004)))")

UNFRAGMENTED_IPV4 = f"{ETH_IPV4} && ip.hdr_len == 20 && ip.frag_offset == 0 && ip.flags.mf == 0"

RULES = {
    "counter": {"pass": "frame"},
    "firewall": {"drop": FIREWALL_DROP, "pass": f"!({FIREWALL_DROP})"},
    "reflector": {"tx": f"{ETH_IPV4} || {ETH_IPV6}", "pass": f"!({ETH_IPV4} || {ETH_IPV6})"},
    "ipip": {"tx": f"{ETH_IPV4} && ip.dst == 10.99.0.128/25",
             "pass": f"!({ETH_IPV4} && ip.dst == 10.99.0.128/25)"},
    "dns_truncate": {
        "tx": f"udp.srcport == 53 && udp.length > 108 && (({ETH_IPV4} && ip.hdr_len == 20 && ip.proto == 17"
              f" && ip.frag_offset == 0 && ip.flags.mf == 0) || ({ETH_IPV6} && ipv6.nxt == 17))"},
    "lb": {"tx": f"{UNFRAGMENTED_IPV4} && ip.dst == 10.99.0.100 && (ip.proto == 6 || ip.proto == 17)"},
}
RULES["dns_truncate"]["pass"] = f"!({RULES['dns_truncate']['tx']})"
RULES["lb"]["pass"] = f"!({RULES['lb']['tx']})"


def tshark(pcap, display_filter, field="frame.number"):
    out = subprocess.run(["tshark", "-n", "-r", str(pcap), "-Y", display_filter, "-T", "fields", "-e", field],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def derive(name):
    pcap = Path(name) / f"{name}.pcap"
    total = len(tshark(pcap, "frame"))
    errors = len(tshark(pcap, ICMP_ERRORS))
    if errors:
        sys.exit(f"derive.py: {pcap}: {errors} ICMP error packet(s); recapture")
    filters = {}
    actions = dict.fromkeys(ACTIONS, 0)
    for action, display_filter in RULES[name].items():
        actions[action] = filters[display_filter] = len(tshark(pcap, display_filter))
    if sum(actions.values()) != total:
        sys.exit(f"derive.py: {pcap}: action filters cover {sum(actions.values())} of {total} packets")
    result = {"packets": total, "actions": actions, "filters": filters}
    if name == "counter":
        protocols = {}
        for cls, display_filter in COUNTER_CLASSES.items():
            lengths = [int(n) for n in tshark(pcap, display_filter, "frame.cap_len")]
            filters[display_filter] = len(lengths)
            key, label = cls.split(" ")
            protocols[label] = {"key": int(key), "packets": len(lengths), "bytes": sum(lengths)}
        if sum(p["packets"] for p in protocols.values()) != total:
            sys.exit(f"derive.py: {pcap}: protocol filters do not partition the capture")
        result["protocols"] = protocols
    (Path(name) / "expected.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"derive.py: {name}: {total} packets, " + ", ".join(f"{a} {n}" for a, n in actions.items() if n))


if __name__ == "__main__":
    import os
    os.chdir(Path(__file__).parent)
    for name in sys.argv[1:] or RULES:
        derive(name)
