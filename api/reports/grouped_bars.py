"""Charts as SVG markup rendered on the server: no script, no library, readable without JavaScript."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

BAR, GAP, LABEL_WIDTH, PLOT_WIDTH, TOP = 13, 10, 110, 420, 28


def grouped_bars(rows: Sequence[str], series: Mapping[str, Mapping[str, float]], title: str,
                 classes: Sequence[str] = ("bar-new", "bar-all")) -> Markup:
    """Horizontal bars: one group per row name, one bar per series (``series[name][row]``), with the
    value printed after each bar and a legend; missing values are left out."""
    names = list(series)
    peak = nice_ceiling(max([v for s in series.values() for v in s.values() if v is not None] or [1.0]))
    group = len(names) * BAR + GAP
    height = TOP + len(rows) * group + 24
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]
    for tick in range(5):
        x = LABEL_WIDTH + PLOT_WIDTH * tick / 4
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{height - 22}"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{peak * tick / 4:g}</text>')
    for i, row in enumerate(rows):
        y0 = TOP + i * group
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y0 + len(names) * BAR / 2 + 4:.1f}" '
                     f'text-anchor="end">{escape(row.replace("_", " "))}</text>')
        for j, name in enumerate(names):
            value = series[name].get(row)
            if value is None:
                continue
            y, w = y0 + j * BAR, PLOT_WIDTH * value / peak
            parts.append(f'<rect class="{classes[j % len(classes)]}" x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" '
                         f'height="{BAR - 2}"><title>{escape(name)} · {escape(row)}: {value:.4f}</title></rect>')
            parts.append(f'<text x="{LABEL_WIDTH + w + 4:.1f}" y="{y + BAR - 3}">{value:.3f}</text>')
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="{TOP - 4}" x2="{LABEL_WIDTH}" y2="{height - 22}"/>')
    for j, name in enumerate(names):
        x = LABEL_WIDTH + j * 150
        parts.append(f'<rect class="{classes[j % len(classes)]}" x="{x}" y="6" width="12" height="12"/>'
                     f'<text x="{x + 17}" y="16">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 4, 5 or 8 times a power of ten that is at least ``value`` (1 for 0)."""
    if not value > 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(round(step * power, 12) for step in (1, 2, 4, 5, 8, 10) if step * power >= value * (1 - 1e-9))
