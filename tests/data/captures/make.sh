#!/usr/bin/env bash
# Rebuilds the committed captures from the hex dumps beside this script with Wireshark's own tools
# (text2pcap, editcap, mergecap); edge.pcapng and eth-be.pcap are written by make.py, since no tool
# writes big-endian files, simple/obsolete packet blocks or chosen options. Needs wireshark-common.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The SHB options name the building machine (hardware, OS), so a rebuild elsewhere differs there only.
text2pcap -q -t ISO -F pcapng -N eth0 eth.txt "$tmp/eth.pcapng"
text2pcap -q -t ISO -F pcapng -l 101 -N tun0 raw.txt "$tmp/raw.pcapng"

cp "$tmp/eth.pcapng" eth.pcapng                       # if_tsresol 9 (ns)
editcap -F pcap "$tmp/eth.pcapng" eth.pcap            # magic a1b2c3d4, µs
editcap -F nsecpcap "$tmp/eth.pcapng" eth-ns.pcap     # magic a1b23c4d, ns
editcap -F pcapng eth.pcap eth-us.pcapng              # no if_tsresol: the default µs
editcap -F pcap -s 40 "$tmp/eth.pcapng" eth-snap40.pcap  # captured < original length
# Two IDBs, packets interleaved; relative names, since mergecap records them in the SHB comment.
(cd "$tmp" && mergecap -F pcapng -w merged.pcapng eth.pcapng raw.pcapng)
cp "$tmp/merged.pcapng" merged.pcapng
cat "$tmp/eth.pcapng" "$tmp/raw.pcapng" > sections.pcapng                # two sections
python3 make.py
