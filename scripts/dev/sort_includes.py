#!/usr/bin/python3
"""Rewrites the leading #include section of C++ files into lbd's blocks:
the file's own header, C system headers, the C++ standard library, other
libraries, DPDK, lbd, then local ("...") headers - one blank line between
blocks, sorted within. Files whose include section holds anything but
includes and blank lines are left alone. Usage: sort_includes.py FILE...
"""
import os
import re
import sys

THIRD_PARTY = ("fmt/", "spdlog/", "nlohmann/", "yaml-cpp/", "CLI/", "catch2/", "benchmark/", "bpf/")


def block(path, inc):
    name = inc[1:-1]
    own = os.path.splitext(os.path.basename(path))[0] + ".h"
    if path.endswith(".cpp") and (name == own or (inc.startswith("<lb/") and name.endswith("/" + own))):
        return 0
    if inc.startswith('"'):
        return 6
    if name.startswith("lb/"):
        return 5
    if name.startswith("rte_"):
        return 4
    if name.startswith(THIRD_PARTY):
        return 3
    if name.endswith(".h"):
        return 1
    return 2


def rewrite(path):
    lines = open(path).read().split("\n")
    start = next((i for i, l in enumerate(lines) if l.startswith("#include")), None)
    if start is None:
        return
    end = start
    while end < len(lines) and (lines[end].startswith("#include") or lines[end].strip() == ""):
        end += 1
    while end > start and lines[end - 1].strip() == "":
        end -= 1
    incs = [l for l in lines[start:end] if l.startswith("#include")]
    if any(not re.fullmatch(r'#include [<"][^>"]+[>"]', l) for l in incs):
        return
    groups = {}
    for l in incs:
        inc = l[len("#include "):]
        groups.setdefault(block(path, inc), set()).add(l)
    out = []
    for k in sorted(groups):
        out += sorted(groups[k]) + [""]
    lines[start:end] = out[:-1]
    open(path, "w").write("\n".join(lines))


for p in sys.argv[1:]:
    rewrite(p)
