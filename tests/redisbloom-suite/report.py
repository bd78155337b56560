"""Reads the RLTest logs tests/redisbloom-suite.sh wrote and prints the pass/fail/skip table.

    report.py OUT OUT_OF_SCOPE SIDE [SIDE ...]

OUT holds one log per side, test file and unit (`<side>-<file>-<unit>.log`). RLTest prints each test as
`<name>:` then `[PASS]`, `[FAIL]`, `[ERROR]` or `[SKIP]`, after the failed assertions (lines with `(FAIL):`) the test
printed while it ran. A test is failed on `[FAIL]`/`[ERROR]` or when it printed a failed assertion; a file that
could not be imported counts as one failed test named `<file>:import`. OUT_OF_SCOPE lists `file:Class.test
reason` lines; those tests are reported apart. Exit status 1 when a test passes on the first side (the oracle)
and not on the last (ferredis).
"""
import os
import re
import sys
from collections import defaultdict

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEADER = re.compile(r"^\s*(test_[A-Za-z0-9_]+:[A-Za-z0-9_.]+):\s*$")
STATUS = re.compile(r"^\s*\[(PASS|FAIL|ERROR|SKIP)\]\s*$")


def parse(path):
    """{test name: (status, failed assertions)} of one RLTest log."""
    out = {}
    pending = 0
    name = None
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [ANSI.sub("", line.rstrip("\r\n")) for line in f]
    for line in lines:
        if "(FAIL):" in line:
            pending += 1
            continue
        m = HEADER.match(line)
        if m:
            name = m.group(1)
            continue
        m = STATUS.match(line)
        if m and name:
            status = m.group(1)
            if status == "PASS" and pending:
                status = "FAIL"
            out[name] = (status, pending)
            name, pending = None, 0
            continue
        if line.startswith("Problems in file"):
            base = os.path.basename(line.split()[3]).rstrip(":")
            out[base[:-3] + ":import"] = ("ERROR", 0)
    return out


def main():
    out_dir, scope_file, sides = sys.argv[1], sys.argv[2], sys.argv[3:]
    scope = {}
    if os.path.exists(scope_file):
        for line in open(scope_file, encoding="utf-8"):
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                scope[name] = reason.strip()
    results = {side: {} for side in sides}
    for entry in sorted(os.listdir(out_dir)):
        for side in sides:
            if entry.startswith(side + "-") and entry.endswith(".log"):
                results[side].update(parse(os.path.join(out_dir, entry)))
    names = sorted(set().union(*[r.keys() for r in results.values()]))
    counts = defaultdict(lambda: defaultdict(int))
    for name in names:
        file = name.split(":")[0]
        for side in sides:
            status = results[side].get(name, ("MISSING", 0))[0]
            key = "scope" if name in scope else {"PASS": "pass", "SKIP": "skip"}.get(status, "fail")
            counts[(side, file)][key] += 1
            counts[(side, "total")][key] += 1
    files = sorted({n.split(":")[0] for n in names}) + ["total"]
    head = "| file | " + " | ".join(f"{s} passed / failed / skipped / out of scope" for s in sides) + " |"
    print(head)
    print("|---" * (len(sides) + 1) + "|")
    for file in files:
        cells = []
        for side in sides:
            c = counts[(side, file)]
            cells.append(f"{c['pass']} / {c['fail']} / {c['skip']} / {c['scope']}")
        print(f"| {file} | " + " | ".join(cells) + " |")
    status = 0
    if len(sides) > 1:
        oracle, ours = sides[0], sides[-1]
        differ = [n for n in names if results[oracle].get(n, ("MISSING",))[0] != results[ours].get(n, ("MISSING",))[0]]
        both = [n for n in names if n not in differ and results[ours].get(n, ("MISSING",))[0] in ("FAIL", "ERROR", "MISSING")]
        print(f"\noutcome differs ({oracle} / {ours}):" if differ else "\nno test's outcome differs")
        for n in differ:
            note = f"  [out of scope: {scope[n]}]" if n in scope else ""
            print(f"  {n}: {results[oracle].get(n, ('MISSING',))[0]} / {results[ours].get(n, ('MISSING',))[0]}{note}")
            if n not in scope and results[oracle].get(n, ("",))[0] in ("PASS", "SKIP"):
                status = 1
        if both:
            print("failed on both:")
            for n in both:
                note = f"  [out of scope: {scope[n]}]" if n in scope else ""
                print(f"  {n}: {results[oracle][n][0]} / {results[ours][n][0]}{note}")
    else:
        failed = [n for n in names if results[sides[0]][n][0] in ("FAIL", "ERROR")]
        for n in failed:
            print(f"  failed: {n}" + (f"  [out of scope: {scope[n]}]" if n in scope else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
