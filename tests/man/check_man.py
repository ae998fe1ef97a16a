#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The man pages and the --help texts cannot drift apart: for every command `pkteng --help`
lists, every option its `pkteng CMD --help` names is documented (an option line starting
with *-) in docs/man/pkteng-CMD.8.scd and every option documented there is in --help;
pkteng(8) lists every command and a page exists for each. With the built pages, each renders
with `man --warnings -l` without a warning.
Usage: check_man.py PKTENG SCD_DIR [BUILT_DIR]"""
import os
import re
import subprocess
import sys

# An option token: a dash or two, then a letter or digit, at the start of a word.
OPT = re.compile(r"(?:^|(?<=[\s\[(|,/]))(--?[A-Za-z0-9][A-Za-z0-9-]*)")
# Quoted command lines ('pkteng client', `pkteng ethtool -K`) name other commands' options.
QUOTED = re.compile(r"(?<![A-Za-z])'[^'\n]*'(?![A-Za-z])|`[^`\n]*`")
ALWAYS = {"-h", "--help"}  # every command takes them; pkteng(8) documents them once


def help_text(pkteng, *args):
    r = subprocess.run([pkteng, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: pkteng {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def commands(pkteng):
    text = help_text(pkteng, "--help")
    body = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in body.splitlines() if line.strip()]


def help_options(text):
    return set(OPT.findall(QUOTED.sub(" ", text))) - ALWAYS


def man_options(scd):
    """Options the page documents: the terms of its option lists (lines starting *-)."""
    found = set()
    for line in scd.splitlines():
        if line.startswith("*-"):
            found.update(re.findall(r"\*(--?[A-Za-z0-9][A-Za-z0-9-]*)", line))
    return found - ALWAYS


def main():
    pkteng, scd_dir = sys.argv[1], sys.argv[2]
    built = sys.argv[3] if len(sys.argv) > 3 else None
    fails = []
    cmds = commands(pkteng)
    if len(cmds) < 10:
        fails.append(f"pkteng --help lists only {cmds}")
    top = open(os.path.join(scd_dir, "pkteng.8.scd")).read()
    for opt in ("--version", "-V", "--help", "-h"):
        if f"*{opt}*" not in top:
            fails.append(f"pkteng.8.scd: {opt} is not documented")
    pages = ["pkteng"]
    for cmd in cmds:
        page = f"pkteng-{cmd}"
        pages.append(page)
        if f"*{page}*(8)" not in top:
            fails.append(f"pkteng.8.scd: does not list *{page}*(8)")
        path = os.path.join(scd_dir, page + ".8.scd")
        if not os.path.exists(path):
            fails.append(f"{path}: missing (pkteng {cmd} has no man page)")
            continue
        scd = open(path).read()
        h, m = help_options(help_text(pkteng, cmd, "--help")), man_options(scd)
        for o in sorted(h - m):
            fails.append(f"{page}(8): '{o}' is in 'pkteng {cmd} --help' but not documented")
        for o in sorted(m - h):
            fails.append(f"{page}(8): documents '{o}', which 'pkteng {cmd} --help' does not list")
        for sec in ("# OPTIONS", "# EXIT STATUS", "# EXAMPLES", "# SEE ALSO"):
            if sec not in scd and not (sec == "# OPTIONS" and not h):
                fails.append(f"{page}(8): no '{sec[2:]}' section")
        print(f"{page}(8): {len(h)} options, in step with --help")
    extra = {f[: -len(".8.scd")] for f in os.listdir(scd_dir) if f.endswith(".8.scd")}
    for page in sorted(extra - set(pages)):
        fails.append(f"{page}.8.scd: no such command in pkteng --help")
    if built:
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        for page in pages:
            f = os.path.join(built, page + ".8")
            if not os.path.exists(f):
                fails.append(f"{f}: not built")
                continue
            r = subprocess.run(["man", "--warnings", "-l", f], capture_output=True, text=True,
                               env=env)
            if r.returncode != 0 or r.stderr.strip():
                fails.append(f"{page}.8: man --warnings: exit {r.returncode}: {r.stderr.strip()}")
            elif not r.stdout.startswith(f"{page}(8)"):
                fails.append(f"{page}.8: the rendered page does not start with {page}(8)")
        print(f"{len(pages)} pages render without warnings")
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
