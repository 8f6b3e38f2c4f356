"""Small SVG charts rendered on the server: bars, a histogram with a marker, and line charts.

Each function returns one ``<svg>`` element as text; colours come from the page's CSS classes
``c0`` … ``c7`` (``fill`` for bars, ``stroke`` for lines), so a chart carries no script or style.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 28, 40
COLOURS = 8
TICKS = 4


def nice_step(span: float, ticks: int = TICKS) -> float:
    """A 1, 2 or 5 × 10^k step that cuts ``span`` into at most ``ticks`` parts (1 for nothing)."""
    if not span > 0:
        return 1.0
    rough = span / ticks
    power = 10.0 ** math.floor(math.log10(rough))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= rough * (1 - 1e-12))


def nice_top(value: float) -> float:
    """The axis end: ``value`` rounded up to a whole number of ``nice_step``s."""
    step = nice_step(value)
    return step * max(math.ceil(value / step - 1e-9), 1)


def _open(title: str, height: int = HEIGHT) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
            f'height="{height}" role="img" aria-label="{escape(title)}" class="chart">',
            f"<title>{escape(title)}</title>"]


def _y_axis(top: float, fmt: str) -> list[str]:
    parts, step = [], nice_step(top)
    for tick in range(round(top / step) + 1):
        y = _y(tick * step, top)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{format(tick * step, fmt)}</text>')
    return parts


def _y(value: float, top: float) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / top


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, fmt: str = ",.0f") -> str:
    """Horizontal bars, one per label (the label column as wide as the longest), each with its value
    written after it."""
    label_width = min(max(110, 7 * max((len(label) for label in labels), default=0) + 12), WIDTH // 3)
    row, plot = 24, WIDTH - label_width - 90
    height = TOP + row * len(labels) + 8
    top = nice_top(max(values, default=0.0))
    parts = _open(title, height)
    for i, (label, value) in enumerate(zip(labels, values)):
        y, width = TOP + i * row, plot * value / top
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect class="c{i % COLOURS}" x="{label_width}" y="{y + 3}" width="{width:.1f}" '
                     f'height="{row - 6}">'
                     f'<title>{escape(label)}: {format(value, fmt)}</title></rect>')
        parts.append(f'<text x="{label_width + width + 6:.1f}" y="{y + 15}">{format(value, fmt)}</text>')
    return "".join(parts + ["</svg>"])


def histogram(counts: Sequence[int], bin_width: int, title: str, marker: float | None = None,
              marker_label: str = "") -> str:
    """Vertical bars of ``counts`` (bin ``i`` covers ``[i·bin_width, (i+1)·bin_width)``) and an
    optional dashed marker line at x = ``marker``."""
    top = nice_top(max(counts, default=0))
    span = max(len(counts) * bin_width, 1)
    plot = WIDTH - LEFT - RIGHT
    parts = _open(title) + _y_axis(top, ",.0f")
    for i, count in enumerate(counts):
        x, y = LEFT + plot * i * bin_width / span, _y(count, top)
        parts.append(f'<rect class="c0" x="{x:.1f}" y="{y:.1f}" width="{max(plot * bin_width / span - 1, 0.5):.1f}" '
                     f'height="{HEIGHT - BOTTOM - y:.1f}"><title>{i * bin_width}–{(i + 1) * bin_width - 1} days: '
                     f'{count:,}</title></rect>')
    step = bin_width * max(1, math.ceil(span / bin_width / 8))
    for days in range(0, span + 1, step):
        parts.append(f'<text x="{LEFT + plot * days / span:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                     f'{days}</text>')
    parts.append(f'<text x="{LEFT + plot / 2}" y="{HEIGHT - 6}" text-anchor="middle">days</text>')
    if marker is not None and marker <= span:
        x = LEFT + plot * marker / span
        parts.append(f'<line class="marker" x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}"/>')
        parts.append(f'<text class="marker-label" x="{x + 4:.1f}" y="{TOP - 10}">{escape(marker_label)}</text>')
    return "".join(parts + ["</svg>"])


def line_chart(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str,
               fmt: str = ",.0f", top: float | None = None) -> str:
    """One polyline per series over the same x labels (``None`` points are left out), with a legend
    under the plot."""
    values = [v for line in series.values() for v in line if v is not None]
    top = top or nice_top(max(values, default=0.0))
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(len(x_labels) - 1, 1)
    legend_rows = math.ceil(len(series) / 4)
    parts = _open(title, HEIGHT + 18 * legend_rows)
    parts += _y_axis(top, fmt)
    every = max(1, math.ceil(len(x_labels) / 8))
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(f'<text x="{LEFT + i * step:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    for j, (name, line) in enumerate(series.items()):
        points = " ".join(f"{LEFT + i * step:.1f},{_y(v, top):.1f}" for i, v in enumerate(line) if v is not None)
        parts.append(f'<polyline class="line c{j % COLOURS}" points="{points}">'
                     f'<title>{escape(name)}</title></polyline>')
        x, y = LEFT + (j % 4) * 150, HEIGHT + 4 + 18 * (j // 4)
        parts.append(f'<rect class="c{j % COLOURS}" x="{x}" y="{y - 10}" width="12" height="12"/>'
                     f'<text x="{x + 17}" y="{y}">{escape(name)}</text>')
    return "".join(parts + ["</svg>"])


def interval_chart(labels: Sequence[str], estimates: Sequence[tuple[float, float, float] | None], title: str,
                   fmt: str = ".1%") -> str:
    """One row per label: its interval as a line from low to high and the estimate as a dot, on a
    shared axis from 0, so overlapping intervals show at a glance (``None``: nothing to draw)."""
    row, label_width, plot = 30, 110, WIDTH - 110 - 190
    height = TOP + row * len(labels) + 24
    top = nice_top(max((e[2] for e in estimates if e is not None), default=0.0))
    parts = _open(title, height)
    bottom = TOP + row * len(labels)
    step = nice_step(top)
    for tick in range(round(top / step) + 1):
        x = label_width + plot * tick * step / top
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{format(tick * step, fmt)}</text>')
    for i, (label, estimate) in enumerate(zip(labels, estimates)):
        y = TOP + i * row + 10
        parts.append(f'<text x="{label_width - 8}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
        if estimate is None:
            continue
        value, low, high = (label_width + plot * v / top for v in estimate)
        parts.append(f'<line class="interval c{i % COLOURS}" x1="{low:.1f}" y1="{y}" x2="{high:.1f}" y2="{y}"/>')
        parts.append(f'<circle class="c{i % COLOURS}" cx="{value:.1f}" cy="{y}" r="5"/>')
        parts.append(f'<text x="{label_width + plot + 8}" y="{y + 4}">{format(estimate[0], fmt)} '
                     f'({format(estimate[1], fmt)}–{format(estimate[2], fmt)})</text>')
    return "".join(parts + ["</svg>"])
