#!/usr/bin/env python3
"""Every function a public header declares with an *_EXPORT macro must be
in the checked-in symbol list, and every listed symbol declared there.

    check-header.py HEADER... EXPECTED.symbols
"""
import re
import sys


def declared(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    # Drop preprocessor lines, with their continuations.
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    names = set()
    for stmt in re.split(r"[;{}]", text):
        if not re.search(r"\bMQTTSEAL\w*_EXPORT\b", stmt):
            continue
        m = re.search(r"([A-Za-z_]\w*)\s*\(", stmt)
        if m:
            names.add(m.group(1))
    return names


def listed(path):
    with open(path, encoding="utf-8") as f:
        return {l.strip() for l in f if l.strip() and not l.startswith("#")}


def main():
    headers, symbols = sys.argv[1:-1], sys.argv[-1]
    header = " + ".join(headers)
    d, l = set().union(*(declared(h) for h in headers)), listed(symbols)
    for name in sorted(l - d):
        print(f"listed in {symbols} but not declared in {header}: {name}")
    for name in sorted(d - l):
        print(f"declared in {header} but not listed in {symbols}: {name}")
    if d != l:
        return 1
    print(f"{header}: {len(d)} exported declarations, as listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
