#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# libpkteng's ABI is exactly the functions its public headers declare: the dynamic symbols it
# defines (nm -D --defined-only) must be those pe_ names, nothing internal (pe__*, the backend
# tables) and nothing else; its soname is libpkteng.so.0.
# Usage: check_exports.py LIBPKTENG.so HEADER...
import re
import subprocess
import sys

lib, headers = sys.argv[1], sys.argv[2:]
bad = 0

dyn = subprocess.run(['readelf', '-d', lib], capture_output=True, text=True, check=True).stdout
soname = re.search(r'\(SONAME\)\s+Library soname: \[(.*)\]', dyn)
if not soname or soname.group(1) != 'libpkteng.so.0':
    print('soname: %s, not libpkteng.so.0' % (soname.group(1) if soname else 'none'))
    bad += 1

nm = subprocess.run(['nm', '-D', '--defined-only', lib], capture_output=True, text=True,
                    check=True).stdout
exported = {line.split()[-1] for line in nm.splitlines() if line.strip()}

declared = set()
for h in headers:
    text = open(h).read()
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)  # comments
    text = re.sub(r'^#.*?(?<!\\)$', ' ', text, flags=re.M | re.S)  # preprocessor lines
    inline = set(re.findall(r'static\s+inline\s+[^;{(]*?\b(pe_\w+)\s*\(', text))
    for name in re.findall(r'\b(pe_\w+)\s*\(', text):
        if name not in inline:
            declared.add(name)

for name in sorted(exported - declared):
    print('exported but not in a public header: %s' % name)
    bad += 1
for name in sorted(declared - exported):
    print('declared in a public header but not exported: %s' % name)
    bad += 1
print('check_exports: %d symbols exported, %d declared, %d problems' %
      (len(exported), len(declared), bad))
sys.exit(1 if bad else 0)
