#!/usr/bin/env bash
# Makes the example captures from real traffic: examples/NAME/NAME.pcap for each NAME given (default: all).
# Two network namespaces joined by a veth pair, fixed MACs and addresses; traffic from ping, ping -6 and
# traffic.py (UDP, TCP, DNS-like); tcpdump captures on the receiving end (hbx1 in hbx-b), both
# directions, plain pcap. Nothing touches the machine's own interfaces; the namespaces and every process
# started here are removed on exit, failure included. Then derive.py writes NAME/expected.json.
#   A = netns hbx-a, hbx0, 02:00:00:00:00:0a, 10.99.0.1/24, fd99::1/64
#   B = netns hbx-b, hbx1, 02:00:00:00:00:0b, 10.99.0.2/24, fd99::2/64 (capture side)
# Needs root, iproute2, ethtool, tcpdump, python3 (and tshark for derive.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

NS_A=hbx-a
NS_B=hbx-b
MAX_PACKETS=120
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}
trap cleanup EXIT

inA() { ip netns exec "$NS_A" "$@"; }
inB() { ip netns exec "$NS_B" "$@"; }
T() { inA python3 traffic.py "$@"; }          # a client in A
# Started straight from ip-netns-exec (which execs its command), so $! is the server itself.
serveB() { ip netns exec "$NS_B" python3 traffic.py "$@" & pids+=($!); }

setup() {
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add hbx0 netns "$NS_A" address 02:00:00:00:00:0a type veth \
    peer name hbx1 netns "$NS_B" address 02:00:00:00:00:0b
  local ns dev
  for ns in "$NS_A" "$NS_B"; do
    [ "$ns" = "$NS_A" ] && dev=hbx0 || dev=hbx1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.router_solicitations=0"
    ip -n "$ns" link set lo up
    # No link-local address (fewer unsolicited packets); complete checksums in the capture (no offload).
    ip -n "$ns" link set "$dev" addrgenmode none
    ip netns exec "$ns" ethtool -K "$dev" tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
  done
  ip -n "$NS_A" addr add 10.99.0.1/24 dev hbx0
  ip -n "$NS_A" addr add fd99::1/64 dev hbx0 nodad
  ip -n "$NS_B" addr add 10.99.0.2/24 dev hbx1
  ip -n "$NS_B" addr add fd99::2/64 dev hbx1 nodad
  ip -n "$NS_A" link set hbx0 up
  ip -n "$NS_B" link set hbx1 up
}

start_capture() {
  local out=$1 log
  log=$(mktemp)
  ip netns exec "$NS_B" tcpdump -Z root -i hbx1 -U -n -s 0 -w "$out" -c "$MAX_PACKETS" 2>"$log" & capture_pid=$!
  pids+=($capture_pid)
  for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
  rm -f "$log"
}

stop_capture() {
  sleep 1
  kill -INT "$capture_pid" 2>/dev/null || true
  wait "$capture_pid" 2>/dev/null || true
}

traffic_counter() {
  serveB udp-echo 0.0.0.0 7000; serveB udp-echo :: 7000
  serveB tcp-echo 0.0.0.0 7001; serveB tcp-echo :: 7001
  sleep 0.5
  inA ping -c 3 -i 0.2 -q 10.99.0.2 >/dev/null
  inA ping -6 -c 3 -i 0.2 -q fd99::2 >/dev/null
  T udp 10.99.0.1 10.99.0.2 7000 3
  T udp fd99::1 fd99::2 7000 3
  T tcp 10.99.0.1 10.99.0.2 7001
  T tcp fd99::1 fd99::2 7001
}

# A also owns 10.99.0.66 and fd99::66, the sources the firewall's map-set blocks; 7003/udp and
# 7004/tcp are the blocked destination ports.
traffic_firewall() {
  ip -n "$NS_A" addr add 10.99.0.66/24 dev hbx0
  ip -n "$NS_A" addr add fd99::66/64 dev hbx0 nodad
  serveB udp-echo 0.0.0.0 7000 7003; serveB udp-echo :: 7000 7003
  serveB tcp-echo 0.0.0.0 7001 7004; serveB tcp-echo :: 7001 7004
  sleep 0.5
  inA ping -c 2 -i 0.2 -q 10.99.0.2 >/dev/null
  inA ping -6 -c 2 -i 0.2 -q -I fd99::1 fd99::2 >/dev/null
  T udp 10.99.0.1 10.99.0.2 7000 2
  T udp 10.99.0.66 10.99.0.2 7000 2
  T udp 10.99.0.1 10.99.0.2 7003 2
  T tcp 10.99.0.1 10.99.0.2 7004
  T udp fd99::1 fd99::2 7000 2
  T udp fd99::66 fd99::2 7000 2
  T udp fd99::1 fd99::2 7003 2
  T tcp fd99::66 fd99::2 7001
}

traffic_reflector() {
  serveB udp-echo 0.0.0.0 7000; serveB udp-echo :: 7000
  serveB tcp-echo 0.0.0.0 7001
  sleep 0.5
  inA ping -c 2 -i 0.2 -q 10.99.0.2 >/dev/null
  inA ping -6 -c 2 -i 0.2 -q fd99::2 >/dev/null
  T udp 10.99.0.1 10.99.0.2 7000 2
  T udp fd99::1 fd99::2 7000 2
  T tcp 10.99.0.1 10.99.0.2 7001
}

# B also owns 10.99.0.130, inside the encapsulated prefix 10.99.0.128/25.
traffic_ipip() {
  ip -n "$NS_B" addr add 10.99.0.130/24 dev hbx1
  serveB udp-echo 0.0.0.0 7000; serveB tcp-echo 0.0.0.0 7001
  sleep 0.5
  inA ping -c 2 -i 0.2 -q 10.99.0.2 >/dev/null
  inA ping -c 3 -i 0.2 -q 10.99.0.130 >/dev/null
  inA ping -6 -c 2 -i 0.2 -q fd99::2 >/dev/null
  T udp 10.99.0.1 10.99.0.2 7000 2
  T udp 10.99.0.1 10.99.0.130 7000 2
  T tcp 10.99.0.1 10.99.0.130 7001
}

traffic_dns_truncate() {
  serveB dns-server 0.0.0.0; serveB dns-server ::
  sleep 0.5
  T dns 10.99.0.1 10.99.0.2 short.example >/dev/null
  T dns 10.99.0.1 10.99.0.2 long.example >/dev/null
  T dns 10.99.0.1 10.99.0.2 short.example >/dev/null
  T dns 10.99.0.1 10.99.0.2 long.example >/dev/null
  T dns 10.99.0.1 10.99.0.2 long.example >/dev/null
  T dns fd99::1 fd99::2 short.example >/dev/null
  T dns fd99::1 fd99::2 long.example >/dev/null
  T dns fd99::1 fd99::2 long.example >/dev/null
  inA ping -c 1 -q 10.99.0.2 >/dev/null
}

# B also owns the VIP 10.99.0.100, so the TCP handshakes to it complete.
traffic_lb() {
  ip -n "$NS_B" addr add 10.99.0.100/24 dev hbx1
  serveB udp-echo 0.0.0.0 8000 7000; serveB tcp-echo 0.0.0.0 8080
  sleep 0.5
  local sport
  for sport in 40001 40002 40003 40004 40005 40006 40007 40008; do
    T udp 10.99.0.1 10.99.0.100 8000 1 "$sport"
  done
  for sport in 41001 41002 41003; do
    T tcp 10.99.0.1 10.99.0.100 8080 "$sport"
  done
  T udp 10.99.0.1 10.99.0.2 7000 2
  inA ping -c 2 -i 0.2 -q 10.99.0.100 >/dev/null
  inA ping -6 -c 1 -q fd99::2 >/dev/null
}

capture() {
  local name=$1
  echo "capture.sh: $name"
  setup
  sleep 1
  start_capture "$name/$name.pcap.tmp"
  "traffic_$name"
  stop_capture
  cleanup
  mv "$name/$name.pcap.tmp" "$name/$name.pcap"
  python3 derive.py "$name"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(counter firewall reflector ipip dns_truncate lb)
for name in "${names[@]}"; do
  declare -F "traffic_$name" >/dev/null || { echo "capture.sh: no example named $name" >&2; exit 2; }
done
for name in "${names[@]}"; do capture "$name"; done
