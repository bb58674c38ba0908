#!/usr/bin/env python3
"""Small traffic generators for capture.sh; each runs inside a network namespace.

  traffic.py udp-echo ADDR PORT...            echo every UDP datagram back (runs until killed)
  traffic.py tcp-echo ADDR PORT...            echo each TCP connection's bytes back (runs until killed)
  traffic.py dns-server ADDR                  answer DNS-like queries on port 53 (runs until killed)
  traffic.py udp SRC DST PORT COUNT [SPORT]   send COUNT datagrams, wait for each echo
  traffic.py tcp SRC DST PORT [SPORT]         one connection: send a line, read the echo, close
  traffic.py dns SRC SERVER NAME              one query for NAME, wait for the answer

Deterministic payloads; every datagram is answered, so no ICMP port-unreachable appears."""
import select
import socket
import struct
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def bound(kind, addr, port=0):
    s = socket.socket(family(addr), kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if s.family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    return s


def serve(socks, on_readable):
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            on_readable(s)


def udp_echo(addr, *ports):
    def echo(s):
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
    serve([bound(socket.SOCK_DGRAM, addr, int(p)) for p in ports], echo)


def tcp_echo(addr, *ports):
    listeners = []
    for p in ports:
        s = bound(socket.SOCK_STREAM, addr, int(p))
        s.listen(8)
        listeners.append(s)

    def accept(s):
        conn, _ = s.accept()
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                conn.sendall(data)
    serve(listeners, accept)


# DNS-like answers: "short.*" gets one A record (payload < 100 bytes), "long.*" gets TXT records
# (payload ~ 300 bytes), anything else an empty NOERROR answer.
def dns_answer(query):
    qid, _flags, qdcount = struct.unpack("!HHH", query[:6])
    end = 12
    while query[end] != 0:
        end += 1 + query[end]
    question = query[12:end + 5]
    qname = question[:-4]
    labels = []
    i = 0
    while qname[i] != 0:
        labels.append(qname[i + 1:i + 1 + qname[i]].decode())
        i += 1 + qname[i]
    if labels[0] == "short":
        answers = [b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 1])]
    elif labels[0] == "long":
        answers = []
        for n in range(4):
            txt = ("record-%d-" % n + "x" * 50).encode()
            answers.append(b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 300, len(txt) + 1) + bytes([len(txt)]) + txt)
    else:
        answers = []
    header = struct.pack("!HHHHHH", qid, 0x8180, 1, len(answers), 0, 0)
    return header + question + b"".join(answers)


def dns_server(addr):
    def answer(s):
        data, peer = s.recvfrom(65535)
        s.sendto(dns_answer(data), peer)
    serve([bound(socket.SOCK_DGRAM, addr, 53)], answer)


def dns_query(src, server, name):
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00"
    query = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 16, 1)
    s = bound(socket.SOCK_DGRAM, src)
    s.settimeout(2)
    s.sendto(query, (server, 53))
    reply, _ = s.recvfrom(65535)
    print("dns %s: %d bytes" % (name, len(reply)))


def udp_send(src, dst, port, count, sport=0):
    s = bound(socket.SOCK_DGRAM, src, int(sport))
    s.settimeout(2)
    for n in range(int(count)):
        s.sendto(("udp message %d from %s" % (n, src)).encode(), (dst, int(port)))
        s.recvfrom(65535)


def tcp_send(src, dst, port, sport=0):
    s = bound(socket.SOCK_STREAM, src, int(sport))
    s.settimeout(2)
    s.connect((dst, int(port)))
    line = ("tcp message from %s\n" % src).encode()
    s.sendall(line)
    got = b""
    while len(got) < len(line):
        got += s.recv(4096)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()


COMMANDS = {"udp-echo": udp_echo, "tcp-echo": tcp_echo, "dns-server": dns_server,
            "udp": udp_send, "tcp": tcp_send, "dns": dns_query}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
