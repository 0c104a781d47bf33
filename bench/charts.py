"""SVG charts of bench/results.json, for docs/performance.md: grouped bars, drawn here (a few dozen
lines of SVG need no plotting library), deterministic so that a test can keep them in sync."""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT = 760, 360
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 110, 110, 60
COLOURS = ("#4c72b0", "#dd8452", "#55a868")


def bars(title: str, unit: str, labels: list[str], series: dict[str, list[float]]) -> str:
    """Grouped bars: one group per label, one bar per series, a y axis from 0 in `unit`."""
    top = max((v for values in series.values() for v in values), default=1.0) * 1.1 or 1.0
    plot_w, plot_h = WIDTH - MARGIN_LEFT - 16, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
             f'<title>{escape(title)}</title><rect width="100%" height="100%" fill="white"/>',
             f'<text x="{WIDTH / 2:.0f}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for step in range(5):  # the y axis: five ticks
        value = top * step / 4
        y = MARGIN_TOP + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.3g}</text>')
    parts.append(f'<text x="40" y="{MARGIN_TOP + plot_h / 2:.0f}" transform="rotate(-90 40 '
                 f'{MARGIN_TOP + plot_h / 2:.0f})" text-anchor="middle">{escape(unit)}</text>')
    for g, label in enumerate(labels):
        x0 = MARGIN_LEFT + g * group_w + group_w * 0.1
        for s, values in enumerate(series.values()):
            h = plot_h * values[g] / top
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{MARGIN_TOP + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(label)}: '
                         f'{values[g]:g} {escape(unit)}</title></rect>')
        x = x0 + group_w * 0.4
        y = MARGIN_TOP + plot_h + 12
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" transform="rotate(-35 {x:.1f} {y:.1f})">'
                     f'{escape(label)}</text>')
    for s, name in enumerate(series):  # the legend, under the title
        x = MARGIN_LEFT + s * 260
        parts.append(f'<rect x="{x}" y="30" width="10" height="10" fill="{COLOURS[s % len(COLOURS)]}"/>'
                     f'<text x="{x + 14}" y="39">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def charts(results: dict[str, Any]) -> dict[str, str]:
    """file name -> SVG, for every chart the results give."""
    writers = sorted(results["contention"], key=int)
    found = {"contention.svg": bars(
        "Transactions per second on one customer, by writer processes", "transactions/s",
        [f"{w} writer{'s' if w != '1' else ''}" for w in writers],
        {"DynamoDB Local": [results["contention"][w]["transactions_per_s"] for w in writers]}
        | ({"5 ms latency per call (a model of AWS)": [
            results["contention_with_5ms_latency"][w]["transactions_per_s"] for w in writers]}
           if "contention_with_5ms_latency" in results else {}))}
    sizes = [s for s in ("10", "1000", "10000") if s in results["list_cost"]]
    found["list_cost.svg"] = bars(
        "A list page's cost by ledger size", "ms", [f"{int(s):,} transactions" for s in sizes],
        {"first page": [results["list_cost"][s]["first_page"] for s in sizes],
         "deep cursor page": [results["list_cost"][s]["deep_cursor_page"] for s in sizes]})
    functions = list(results["cold_start"])
    found["cold_start.svg"] = bars(
        "Cold start by function (fresh process, first event)", "s",
        [f.removesuffix("Function") for f in functions],
        {"function": [results["cold_start"][f]["function_s"] for f in functions],
         "baseline (boto3 and the same DynamoDB calls)": [results["cold_start"][f]["baseline_s"] for f in functions]})
    return found
