#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Independent check of captured frames with scapy (the test oracle for tests/raw).

  check_frames.py PCAP COUNT exact SIZE 'EXPR' [--fcs]
      frame k must equal, byte for byte, EXPR (scapy layers, no payload) / payload, where the
      payload is the sequence stamp of k + zeros up to SIZE - 4 bytes (+ the FCS with --fcs,
      computed with zlib).
  check_frames.py PCAP COUNT recheck 'COND' [--fcs]
      every frame's checksums, recomputed by scapy, equal the captured ones; the sequence
      stamp of frame k is k; COND (python, over p = the scapy packet, k, n = len) holds.
  check_frames.py stamp K
      prints the stamp of frame K in hex (the layout as this helper reads it).
The stamp's layout (magic, offsets, lengths, byte order) is read from raw/stamp.h, its one
definition. Prints 'ok COUNT' or the first problems, exit 0 or 1."""
import os
import re
import struct
import sys
import zlib

from scapy.all import (ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest, IPv6, Raw,
                       rdpcap)

CSUM_FIELDS = {IP: "chksum", UDP: "chksum", TCP: "chksum", ICMP: "chksum",
               ICMPv6EchoRequest: "cksum"}


def fcs(b):
    return struct.pack("<I", zlib.crc32(b) & 0xFFFFFFFF)


def stamp_layout(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "raw", "stamp.h")):
    """The PE_STAMP_* #defines of raw/stamp.h, without the prefix: strings as bytes, numbers
    as int."""
    with open(path, encoding="ascii") as f:
        text = f.read()
    defs = {}
    for name, val in re.findall(r'^#define\s+PE_STAMP_(\w+)\s+("[^"]*"|\d+)', text, re.M):
        defs[name] = val[1:-1].encode() if val.startswith('"') else int(val)
    need = ("MAGIC", "MAGIC_LEN", "OFF", "SEQ_OFF", "SEQ_LEN", "SEQ_BIG_ENDIAN", "LEN")
    missing = [n for n in need if n not in defs]
    if missing or len(defs["MAGIC"]) != defs["MAGIC_LEN"]:
        sys.exit(f"{path}: PE_STAMP_ definitions missing or inconsistent: {missing}")
    return defs


STAMP = stamp_layout()


def stamp(k):
    """The first STAMP['LEN'] payload bytes of frame k."""
    b = bytearray(STAMP["LEN"])
    b[STAMP["OFF"]:STAMP["OFF"] + STAMP["MAGIC_LEN"]] = STAMP["MAGIC"]
    order = "big" if STAMP["SEQ_BIG_ENDIAN"] else "little"
    b[STAMP["SEQ_OFF"]:STAMP["SEQ_OFF"] + STAMP["SEQ_LEN"]] = k.to_bytes(STAMP["SEQ_LEN"], order)
    return bytes(b)


def main():
    if sys.argv[1] == "stamp":
        print(stamp(int(sys.argv[2])).hex())
        return 0
    path, count, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with_fcs = "--fcs" in sys.argv
    frames = [bytes(p) for p in rdpcap(path)]
    bad = []
    if len(frames) != count:
        bad.append(f"{len(frames)} frames, expected {count}")
    for k, raw in enumerate(frames):
        body = raw[:-4] if with_fcs else raw
        if with_fcs and raw[-4:] != fcs(body):
            bad.append(f"frame {k}: FCS {raw[-4:].hex()} expected {fcs(body).hex()}")
        if mode == "exact":
            size, expr = int(sys.argv[4]), sys.argv[5]
            hdr = eval(expr, globals(), {"k": k})
            plen = size - 4 - len(hdr)
            exp = bytes(hdr / Raw(stamp(k) + b"\0" * (plen - STAMP["LEN"])))
            if with_fcs:
                exp += fcs(exp)
            if raw != exp:
                bad.append(f"frame {k}: got {raw.hex()} expected {exp.hex()}")
        else:
            p = Ether(body)
            q = p.copy()
            for layer, field in CSUM_FIELDS.items():
                if q.haslayer(layer):
                    setattr(q[layer], field, None)
            if bytes(q) != body:
                bad.append(f"frame {k}: checksums differ from scapy's: {body.hex()}")
            pl = bytes(p[Raw].load) if p.haslayer(Raw) else b""
            if pl[:STAMP["LEN"]] != stamp(k):
                bad.append(f"frame {k}: sequence stamp {pl[:STAMP['LEN']].hex()}")
            if not eval(sys.argv[4], globals(), {"p": p, "k": k, "n": len(raw)}):
                bad.append(f"frame {k}: condition false: {p.summary()} len {len(raw)}")
        if len(bad) > 5:
            break
    if bad:
        print("\n".join(bad[:6]))
        return 1
    print(f"ok {len(frames)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
