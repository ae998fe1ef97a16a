#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks for the report's tests; each prints what it found and exits 1 when a check fails.

  check_report.py svg FILE.svg [uses]
                                    one line per gnuplot series: "N U uses C coords" (the
                                    points drawn as markers, the vertices of its lines)
  check_report.py html FILE.html    external references (must be none) and the plot boxes
  check_report.py png FILE.png FILE.html
                                    every plot box of the page has coloured pixels in the
                                    screenshot (series are drawn in colour, axes in black)
"""
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SVG = "{http://www.w3.org/2000/svg}"


def svg_series(path, uses_only):
    root = ET.parse(path).getroot()
    rows = []
    for g in root.iter(SVG + "g"):
        m = re.fullmatch(r"gnuplot_plot_(\d+)", g.get("id", ""))
        if not m:
            continue
        uses = sum(1 for _ in g.iter(SVG + "use"))
        coords = sum(len(re.findall(r"[ML]\s*-?[\d.]+,-?[\d.]+", p.get("d", "")))
                     for p in g.iter(SVG + "path"))
        rows.append((int(m.group(1)), uses, coords))
    for n, uses, coords in rows:
        print("%d %d uses" % (n, uses) if uses_only else "%d %d uses %d coords" % (n, uses, coords))
    return 0


BOX = re.compile(r'<div class="plot" data-x="(\d+)" data-y="(\d+)" data-w="(\d+)" data-h="(\d+)"')


def html_check(path):
    text = open(path, encoding="utf-8").read()
    bad = re.findall(r"(?:https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}/)[^\s'\"<>]*", text)
    bad += re.findall(r"\b(?:src|href)\s*=\s*['\"](?!#)[^'\"]*['\"]", text)
    bad += re.findall(r"<(?:script|link|iframe|object|embed|img)\b", text)
    bad += re.findall(r"@import|url\((?!#)", text)
    for b in bad:
        print("external:", b)
    page = re.search(r'<div id="page" data-w="(\d+)" data-h="(\d+)"', text)
    print("page %s %s" % (page.group(1), page.group(2)) if page else "page ? ?")
    print("plots", len(BOX.findall(text)))
    print("svgs", text.count("<svg"))
    return 1 if bad or not page else 0


def png_pixels(path):
    """A tiny PNG reader: 8-bit RGB or RGBA, not interlaced (what Chromium writes)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unsupported PNG: depth %d colour %d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def png_check(png, html):
    w, h, bpp, rows = png_pixels(png)
    text = open(html, encoding="utf-8").read()
    boxes = [tuple(map(int, m)) for m in BOX.findall(text)]
    failed = 0
    for i, (x, y, bw, bh) in enumerate(boxes):
        if x + bw > w or y + bh > h:
            print("box %d at %d,%d %dx%d: outside the %dx%d screenshot" % (i, x, y, bw, bh, w, h))
            failed += 1
            continue
        colour = white = 0
        for yy in range(y, y + bh):
            row = rows[yy]
            for xx in range(x, x + bw):
                r, g, b = row[xx * bpp:xx * bpp + 3]
                if max(r, g, b) - min(r, g, b) > 80:
                    colour += 1
                elif r > 250 and g > 250 and b > 250:
                    white += 1
        ok = colour >= 30 and white > bw * bh // 4
        failed += not ok
        print("box %d at %d,%d: %d coloured, %d white %s" % (i, x, y, colour, white,
                                                            "ok" if ok else "BLANK"))
    print("boxes", len(boxes), "blank", failed)
    return 1 if failed or not boxes else 0


def main():
    if sys.argv[1] == "svg":
        return svg_series(sys.argv[2], sys.argv[3:] == ["uses"])
    if sys.argv[1] == "html":
        return html_check(sys.argv[2])
    return png_check(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    sys.exit(main())
