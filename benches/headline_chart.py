#!/usr/bin/env python3
"""Draws benches/headline.tsv (written by benches/headline.sh) as an SVG bar chart: python3 alone, no packages.

One bar per row: ferredis's advantage on a log axis around a 1.0 line, above 1 when ferredis is better
(redis/ferredis for costs: CPU, memory, latency, fork; ferredis/redis for throughput). Client-bound rows are grey:
their throughput can only tie. The output depends only on the input, so a regenerated chart diffs cleanly.

Usage: headline_chart.py [benches/headline.tsv] [benches/headline.svg]
"""
import math
import sys
from xml.sax.saxutils import escape

src = sys.argv[1] if len(sys.argv) > 1 else "benches/headline.tsv"
dst = sys.argv[2] if len(sys.argv) > 2 else "benches/headline.svg"

header, rows = {}, []
with open(src, encoding="utf-8") as f:
    names = None
    for raw in f:
        line = raw.rstrip("\n")
        if line.startswith("#"):
            key, _, value = line[1:].strip().partition(": ")
            if value:
                header.setdefault(key, value)
            continue
        cells = line.split("\t")
        if names is None:
            names = cells
            continue
        rows.append(dict(zip(names, cells)))
if not rows:
    sys.exit(f"{src}: no rows")

advs = [float(r["advantage"]) for r in rows if float(r["advantage"]) > 0]
lo = 2 ** math.floor(math.log2(min(advs + [0.5])) + 1e-9)
hi = 2 ** math.ceil(math.log2(max(advs + [2.0])) - 1e-9)

LABEL_W, PLOT_W, VALUE_W = 210, 440, 480
ROW_H, TOP = 26, 92
W = LABEL_W + PLOT_W + VALUE_W + 20
H = TOP + ROW_H * len(rows) + 96


def x_of(v):
    return LABEL_W + (math.log2(v) - math.log2(lo)) / (math.log2(hi) - math.log2(lo)) * PLOT_W


def num(s):
    v = float(s)
    if v >= 10000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


out = [
    f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
    'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">',
    f'<rect width="{W}" height="{H}" fill="white"/>',
    f'<text x="10" y="24" font-size="17" font-weight="bold">ferredis vs Redis {escape(header.get("redis", "7.0"))}:'
    " ferredis's advantage per row (log scale)</text>",
    '<text x="10" y="46">Right of the 1.0 line ferredis is better: redis/ferredis for costs (CPU, memory, latency,'
    " fork), ferredis/redis for throughput.</text>",
    '<text x="10" y="66" fill="#555">Grey: client-bound throughput (one redis-benchmark saturates its core against'
    " both servers, so it can only tie; the server CPU row below it is the figure).</text>",
]
# Axis: a tick at every power of two, the 1.0 line darker.
y0, y1 = TOP - 6, TOP + ROW_H * len(rows)
v = lo
while v <= hi * 1.0001:
    x = x_of(v)
    one = abs(v - 1) < 1e-9
    out.append(
        f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}" stroke="{"#000" if one else "#ddd"}" '
        f'stroke-width="{2 if one else 1}"/>'
    )
    label = f"{v:g}" if v >= 1 else f"1/{1 / v:g}"
    out.append(f'<text x="{x:.1f}" y="{y1 + 16}" text-anchor="middle" fill="#333">{label}</text>')
    v *= 2
out.append(
    f'<text x="{x_of(1) + 6:.1f}" y="{y1 + 34}" fill="#2e7d32">ferredis better &#8594;</text>'
    f'<text x="{x_of(1) - 6:.1f}" y="{y1 + 34}" text-anchor="end" fill="#c62828">&#8592; Redis better</text>'
)
for i, r in enumerate(rows):
    y = TOP + i * ROW_H
    adv = float(r["advantage"])
    client_bound = r.get("note", "").split(":")[0] == "client-bound"
    if i % 2 == 0:
        out.append(f'<rect x="0" y="{y}" width="{W}" height="{ROW_H}" fill="#f6f6f6"/>')
    out.append(f'<text x="{LABEL_W - 10}" y="{y + 17}" text-anchor="end">{escape(r["row"])}</text>')
    if adv > 0:
        xa, xb = sorted((x_of(1), x_of(adv)))
        color = "#9e9e9e" if client_bound else ("#43a047" if adv >= 1 else "#e53935")
        out.append(
            f'<rect x="{xa:.1f}" y="{y + 5}" width="{max(xb - xa, 1.5):.1f}" height="{ROW_H - 10}" fill="{color}"/>'
        )
    unit = "\u00b5" + r["unit"][1:] if r["unit"].startswith("us") else r["unit"]
    kind = r.get("note", "").split(":")[0]
    bound = ", " + kind.replace(" against ", " for ").replace(" only", "") if kind.startswith("client-bound") else ""
    value = f'{adv:.2f}\u00d7  ({num(r["ferredis"])} / {num(r["redis"])} {unit}{bound})'
    out.append(f'<text x="{LABEL_W + PLOT_W + 10}" y="{y + 17}">{escape(value)}</text>')
foot = [header.get("date", ""), header.get("cpu", ""), header.get("kernel", "")]
load = header.get("load average (1 min) during the run", "")
notes = [
    "; ".join(x for x in foot if x),
    "load average during the run: " + load + "; figures and commands: benches/headline.tsv",
    "requests/s and latency need a quiet machine to compare across runs; CPU per request and memory hold under load",
]
for k, text in enumerate(notes):
    out.append(f'<text x="10" y="{H - 44 + 17 * k}" fill="#555" font-size="12">{escape(text)}</text>')
out.append("</svg>")
with open(dst, "w", encoding="utf-8") as f:
    f.write("\n".join(out) + "\n")
