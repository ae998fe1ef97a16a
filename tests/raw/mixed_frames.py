#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes a pcap of 20 mixed lab frames for the capture filter tests: 5 IPv4 UDP to port 9,
3 IPv4 UDP from port 53, 4 TCP SYNs to port 80, 2 ICMP echo requests, 3 IPv6 UDP to port 9,
1 broadcast ARP and 2 802.1Q (VID 42) IPv4 UDP to port 9, 10 ms apart.
Usage: mixed_frames.py OUT.pcap"""
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, wrpcap

A, B = "02:00:00:00:00:01", "02:00:00:00:00:02"


def ip4(src="198.18.0.1", dst="198.18.0.2"):
    return Ether(src=A, dst=B) / IP(src=src, dst=dst)


def frames():
    out = [ip4() / UDP(sport=1000 + i, dport=9) / Raw(b"x" * 20) for i in range(5)]
    out += [ip4() / UDP(sport=53, dport=2000 + i) / Raw(b"y" * 10) for i in range(3)]
    out += [ip4() / TCP(sport=3000 + i, dport=80) for i in range(4)]
    out += [ip4() / ICMP(seq=i) for i in range(2)]
    out += [Ether(src=A, dst=B) / IPv6(src="2001:2::1", dst="2001:2::2") / UDP(sport=7, dport=9)
            for _ in range(3)]
    out += [Ether(src=A, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="198.18.0.1", pdst="198.18.0.2")]
    out += [Ether(src=A, dst=B) / Dot1Q(vlan=42) / IP(src="198.18.1.1", dst="198.18.1.2") /
            UDP(sport=5, dport=9) for _ in range(2)]
    for i, p in enumerate(out):
        p.time = 1700000000 + i * 0.01
    return out


if __name__ == "__main__":
    wrpcap(sys.argv[1], frames(), snaplen=262144)
