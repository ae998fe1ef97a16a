#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Frame vectors for pkteng's frame tests, built with scapy (an independent implementation).

Each line of the output is NAME|PKTENG-ARGS|HEX: `pkteng frame PKTENG-ARGS --hex` must print
exactly HEX. Run with Debian's /usr/bin/python3 (python3-scapy):
    tests/frame/make_vectors.py > tests/data/frame_vectors.txt
The FCS is zlib's CRC-32, appended least significant byte first; short frames are padded to 60.
"""
import struct
import sys
import zlib

from scapy.all import (ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest, IPv6,
                       Raw, conf)

conf.verb = 0
SRC_MAC, DST_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
V4 = ("198.18.0.1", "198.18.0.2")
V6 = ("2001:2::1", "2001:2::2")


def splitmix64_bytes(seed, n):
    out, st = bytearray(), seed
    mask = (1 << 64) - 1
    while len(out) < n:
        st = (st + 0x9E3779B97F4A7C15) & mask
        z = st
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out += struct.pack("<Q", z)
    return bytes(out[:n])


def payload(spec, n):
    if spec is None:
        return bytes(n)
    kind, _, arg = spec.partition(":")
    if kind == "fill":
        return bytes([int(arg, 0)]) * n
    if kind == "inc":
        return bytes(i & 0xFF for i in range(n))
    if kind == "random":
        return splitmix64_bytes(int(arg, 0), n)
    raise ValueError(spec)


def frame(name, args, l2, l3l4, size=None, pay=None, hexpay=None, fcs=False):
    """l2: scapy Ethernet + tags; l3l4: headers (or None for raw); size: RFC 2544 size."""
    hdr = l2 if l3l4 is None else l2 / l3l4
    hlen = len(bytes(hdr))
    if hexpay is not None:
        data = bytes.fromhex(hexpay)
    else:
        if size is None:
            size = max(64, hlen + 4)
        data = payload(pay, size - 4 - hlen)
    b = bytes(hdr / Raw(load=data)) if data else bytes(hdr)
    b += bytes(max(0, 60 - len(b)))
    if fcs:
        b += struct.pack("<I", zlib.crc32(b) & 0xFFFFFFFF)
    return name, args, b


def eth(*tags):
    e = Ether(src=SRC_MAC, dst=DST_MAC)
    for t in tags:
        e = e / t
    return e


def ip4(**kw):
    kw.setdefault("ttl", 64)
    return IP(src=kw.pop("src", V4[0]), dst=kw.pop("dst", V4[1]), id=0, flags=0, **kw)


def ip6(**kw):
    kw.setdefault("hlim", 64)
    return IPv6(src=kw.pop("src", V6[0]), dst=kw.pop("dst", V6[1]), **kw)


def tcp(sport=9, dport=9, flags="S"):
    return TCP(sport=sport, dport=dport, flags=flags, seq=0, ack=0, window=65535)


V6ARGS = "--src-ip 2001:2::1 --dst-ip 2001:2::2"
CASES = [
    frame("ipv4_udp_64", "", eth(), ip4() / UDP(sport=9, dport=9)),
    frame("ipv4_udp_64_fcs", "--fcs", eth(), ip4() / UDP(sport=9, dport=9), fcs=True),
    frame("ipv4_udp_65", "--size 65", eth(), ip4() / UDP(sport=9, dport=9), size=65),
    frame("ipv4_udp_128_inc", "--size 128 --payload inc", eth(), ip4() / UDP(sport=9, dport=9),
          size=128, pay="inc"),
    frame("ipv4_udp_1518_random_fcs", "--size 1518 --payload random:42 --fcs", eth(),
          ip4() / UDP(sport=9, dport=9), size=1518, pay="random:42", fcs=True),
    frame("ipv4_udp_9018_jumbo_fcs", "--size 9018 --jumbo --payload inc --fcs", eth(),
          ip4() / UDP(sport=9, dport=9), size=9018, pay="inc", fcs=True),
    frame("ipv4_udp_addrs_65", "--src-mac 02:aa:bb:cc:dd:ee --dst-mac 02:11:22:33:44:55 "
          "--src-ip 198.18.1.1 --dst-ip 198.19.255.254 --sport 65535 --dport 0 --size 65",
          Ether(src="02:aa:bb:cc:dd:ee", dst="02:11:22:33:44:55"),
          ip4(src="198.18.1.1", dst="198.19.255.254") / UDP(sport=65535, dport=0), size=65),
    frame("ipv4_tcp_64", "--proto tcp --sport 1234 --dport 80 --tcp-flags SYN,ACK", eth(),
          ip4() / tcp(1234, 80, "SA")),
    frame("ipv4_tcp_128_ttl_tos_fcs", "--proto tcp --ttl 7 --tos 0xb8 --size 128 --fcs "
          "--tcp-flags fin,psh,urg", eth(), ip4(ttl=7, tos=0xB8) / tcp(flags="FPU"), size=128,
          fcs=True),
    frame("ipv4_icmp_64", "--proto icmp", eth(), ip4() / ICMP(type=8, id=1, seq=1)),
    frame("ipv4_icmp_1518_fill_fcs", "--proto icmp --size 1518 --payload fill:0xa5 --fcs", eth(),
          ip4() / ICMP(type=8, id=1, seq=1), size=1518, pay="fill:0xa5", fcs=True),
    frame("ipv6_udp_min", V6ARGS, eth(), ip6() / UDP(sport=9, dport=9)),
    frame("ipv6_udp_128_inc_fcs", V6ARGS + " --size 128 --payload inc --fcs", eth(),
          ip6() / UDP(sport=9, dport=9), size=128, pay="inc", fcs=True),
    frame("ipv6_udp_9018_jumbo", "--dst-ip 2001:2::2 --size 9018 --jumbo --payload random:7",
          eth(), ip6() / UDP(sport=9, dport=9), size=9018, pay="random:7"),
    frame("ipv6_tcp_1518_tc", V6ARGS + " --proto tcp --tos 0x2e --ttl 1 --size 1518 "
          "--payload random:7", eth(), ip6(tc=0x2E, hlim=1) / tcp(), size=1518, pay="random:7"),
    frame("ipv6_tcp_min_fcs", V6ARGS + " --proto tcp --tcp-flags RST,ACK,ECE,CWR --fcs", eth(),
          ip6() / tcp(flags="RAEC"), fcs=True),
    frame("ipv6_icmp_128_fcs", "--src-ip 2001:2::7 --proto icmp --size 128 --fcs", eth(),
          ip6(src="2001:2::7") / ICMPv6EchoRequest(id=1, seq=1), size=128, fcs=True),
    frame("vlan_ipv4_udp_64_fcs", "--vlan 100:5 --fcs", eth(Dot1Q(vlan=100, prio=5)),
          ip4() / UDP(sport=9, dport=9), fcs=True),
    frame("vlan_ipv4_udp_1522", "--vlan 4094 --size 1522 --payload inc",
          eth(Dot1Q(vlan=4094)), ip4() / UDP(sport=9, dport=9), size=1522, pay="inc"),
    frame("qinq_ipv4_tcp_128_fcs", "--qinq 200:1 --vlan 100:3 --proto tcp --size 128 --fcs",
          eth(Dot1AD(vlan=200, prio=1), Dot1Q(vlan=100, prio=3)), ip4() / tcp(), size=128,
          fcs=True),
    frame("qinq_ipv6_udp_1526", "--qinq 1 --vlan 2:7 " + V6ARGS + " --size 1526",
          eth(Dot1AD(vlan=1), Dot1Q(vlan=2, prio=7)), ip6() / UDP(sport=9, dport=9), size=1526),
    frame("qinq_ipv6_icmp_9026_fcs", "--qinq 3 --vlan 4 --dst-ip 2001:2::2 --proto icmp "
          "--size 9026 --jumbo --payload inc --fcs", eth(Dot1AD(vlan=3), Dot1Q(vlan=4)),
          ip6() / ICMPv6EchoRequest(id=1, seq=1), size=9026, pay="inc", fcs=True),
    frame("raw_64_fcs", "--proto raw --fcs", Ether(src=SRC_MAC, dst=DST_MAC, type=0x88B5), None,
          fcs=True),
    frame("raw_ethertype_128_inc", "--ethertype 0x88b6 --size 128 --payload inc",
          Ether(src=SRC_MAC, dst=DST_MAC, type=0x88B6), None, size=128, pay="inc"),
    frame("raw_vlan_hex_fcs", "--vlan 7 --proto raw --payload-hex 0102 --fcs",
          Ether(src=SRC_MAC, dst=DST_MAC) / Dot1Q(vlan=7, type=0x88B5), None, hexpay="0102",
          fcs=True),
    frame("ipv4_udp_hex_padded_fcs", "--payload-hex deadbeef --fcs", eth(),
          ip4() / UDP(sport=9, dport=9), hexpay="deadbeef", fcs=True),
    frame("ipv6_udp_hex", "--src-ip 2001:2::9 --payload-hex 00112233445566778899", eth(),
          ip6(src="2001:2::9") / UDP(sport=9, dport=9), hexpay="00112233445566778899"),
]


def main():
    print("# Generated by tests/frame/make_vectors.py (scapy %s): NAME|ARGS|HEX"
          % __import__("scapy").VERSION)
    for name, args, b in CASES:
        print("%s|%s|%s" % (name, args, b.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
