#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compares one run on Linux with one on ringstack, case by case, for
tests/diff/run.sh and tests/wire/run.sh.

Each output line starts with its case's name; a case is its lines, in order.
LIST is the Markdown file naming each expected difference as a line
"- id: CASE". A case fails the run when its lines differ and it is not
listed, when it is listed and its lines agree (the entry is stale), when a
listed case did not run, or when it is listed twice.

  compare_cases.py [options] LINUX_OUT RS_OUT LIST
    --skip "P1 P2"   cases starting with these prefixes run but are not compared
    --subset         only some scripts ran: a listed case of a script that did
                     not run is not stale (case names are SCRIPT/...)
    --table          a per-script table (cases named SCRIPT/...)
    --bad FILE       writes each failing case and its first differing line
                     there (a CI log shows only its tail)
    --summary FMT    the last line; FMT names {compared} {equal} {listed}
                     {unexpected} {skipped} {skip}
Exit status 1 when a case fails.
"""
import argparse
import re
import sys


def cases(path):
    out = {}
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if line:
            out.setdefault(line.split(" ", 1)[0], []).append(line)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("linux")
    ap.add_argument("rs")
    ap.add_argument("listfile")
    ap.add_argument("--skip", default="")
    ap.add_argument("--subset", action="store_true")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--bad")
    ap.add_argument("--summary", default="{compared} compared, {equal} equal, {listed} listed, "
                    "{unexpected} unexpected")
    o = ap.parse_args()
    name = o.listfile.split("/")[-1]
    skip = o.skip.split()
    lin, rs = cases(o.linux), cases(o.rs)
    ids = [m.group(1) for m in (re.match(r"^- id: (\S+)\s*$", l) for l in open(o.listfile)) if m]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    listed = set(ids)
    order = list(lin) + [c for c in rs if c not in lin]
    skipped = [c for c in order if any(c.startswith(p) for p in skip)]
    order = [c for c in order if c not in skipped]
    ran = {c.split("/")[0] for c in order}
    table = {}
    equal = nlisted = unexpected = 0
    bad = []
    for c in order:
        row = table.setdefault(c.split("/")[0], [0, 0, 0, 0])  # cases, equal, listed, unexpected
        row[0] += 1
        a, b = lin.get(c, []), rs.get(c, [])
        if a == b:
            if c in listed:
                unexpected += 1
                row[3] += 1
                bad.append(c)
                print("UNEXPECTED PASS: %s is listed in %s but both sides agree:" % (c, name))
                for line in a:
                    print("    " + line)
            else:
                equal += 1
                row[1] += 1
            continue
        if c in listed:
            nlisted += 1
            row[2] += 1
            print("difference (listed): %s" % c)
            tag = "  "
        else:
            unexpected += 1
            row[3] += 1
            bad.append(c)
            print("UNEXPECTED DIFFERENCE: %s (not in %s)" % (c, name))
            tag = "!!"
        for i in range(max(len(a), len(b))):
            la = a[i] if i < len(a) else "(missing)"
            lb = b[i] if i < len(b) else "(missing)"
            if la == lb:
                print("  %s   both:  %s" % (tag, la))
            else:
                print("  %s - linux: %s" % (tag, la))
                print("  %s + rs:    %s" % (tag, lb))
    for c in sorted(listed - set(order) - set(skipped)):
        if o.subset and c.split("/")[0] not in ran:
            continue
        unexpected += 1
        bad.append(c)
        print("STALE ENTRY: %s is listed in %s but no such case ran" % (c, name))
    for c in dups:
        unexpected += 1
        bad.append(c)
        print("DUPLICATE ENTRY: %s is listed twice in %s" % (c, name))
    if o.table:
        print()
        print("%-16s %6s %7s %7s %10s" % ("script", "cases", "equal", "listed", "unexpected"))
        for s, r in table.items():
            print("%-16s %6d %7d %7d %10d" % (s, *r))
    print(o.summary.format(compared=len(order), equal=equal, listed=nlisted,
                           unexpected=unexpected, skipped=len(skipped),
                           skip=" ".join(skip) or "none"))
    if o.bad:
        with open(o.bad, "w") as f:
            for c in bad:
                a, b = lin.get(c, []), rs.get(c, [])
                d = [(x, y) for x, y in zip(a + ["(missing)"] * len(b), b + ["(missing)"] * len(a))
                     if x != y]
                if d:
                    f.write("%s: linux '%s' rs '%s'; " % ((c,) + d[0]))
                else:
                    f.write("%s: listed in %s but equal, missing or listed twice; " % (c, name))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
