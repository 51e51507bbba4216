"""Server-side SVG charts for the manager dashboard (pure: numbers in, SVG text out; no JS).

Every chart is a self-contained `<svg role="img">` with a `<title>` and a text label on each bar,
so the numbers are readable without colour and without JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    css_class: str  # colour comes from app.css (.series-created, .series-solved, ...)


@dataclass(frozen=True)
class PercentRow:
    label: str
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else 100.0 * self.met / self.total


def _num(value: float) -> str:
    """Coordinates with at most one decimal, without a trailing ".0"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_max(value: int) -> int:
    """A round axis maximum ≥ value: 1, 2, 5, 10, 20, 50, ... (at least 1)."""
    if value <= 1:
        return 1
    magnitude: int = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _open(title: str, width: int, height: int, css_class: str) -> list[str]:
    t = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-label="{t}">',
        f"<title>{t}</title>",
    ]


def grouped_bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 760,
    height: int = 260,
    label_every: int = 5,
) -> str:
    """Vertical bars, one group per label (e.g. a day), one bar per series, with a legend."""
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)}")
    left, right, top, bottom = 36, 8, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max((v for s in series for v in s.values), default=0))
    out = _open(title, width, height, "grouped-bars")
    # legend
    x = left
    for s in series:
        out.append(
            f'<rect class="{escape(s.css_class)}" x="{x}" y="6" width="10" height="10"/>'
            f'<text x="{x + 14}" y="15" class="legend">{escape(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name)
    # axis and grid: 0, half, max
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        value = top_value * fraction
        shown = _num(value) if value != int(value) else str(int(value))
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text class="axis" x="{left - 4}" y="{_num(y + 4)}" text-anchor="end">{shown}</text>'
        )
    n = max(len(labels), 1)
    group_w = plot_w / n
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    for i, label in enumerate(labels):
        gx = left + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top_value
            out.append(
                f'<rect class="{escape(s.css_class)}" x="{_num(gx + j * bar_w)}" '
                f'y="{_num(top + plot_h - h)}" width="{_num(bar_w)}" height="{_num(h)}">'
                f"<title>{escape(label)}: {value} {escape(s.name.lower())}</title></rect>"
            )
        if i % label_every == 0 or i == len(labels) - 1:
            out.append(
                f'<text class="axis" x="{_num(gx + group_w * 0.4)}" y="{height - 10}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def percent_bar_chart(
    rows: Sequence[PercentRow], *, title: str, width: int = 460, row_height: int = 26
) -> str:
    """Horizontal bars of met / (met + breached) per row, labelled "97% (34/35)" or "no data"."""
    label_w, value_w = 110, 100
    bar_area = width - label_w - value_w
    height = 8 + row_height * max(len(rows), 1)
    out = _open(title, width, height, "percent-bars")
    if not rows:
        out.append(f'<text class="axis" x="{label_w}" y="{row_height - 8}">no data</text>')
    for i, row in enumerate(rows):
        y = 4 + i * row_height
        out.append(
            f'<text class="label" x="{label_w - 8}" y="{y + row_height - 10}" '
            f'text-anchor="end">{escape(row.label)}</text>'
            f'<rect class="track" x="{label_w}" y="{y + 3}" width="{bar_area}" '
            f'height="{row_height - 8}"/>'
        )
        pct = row.percent
        if pct is None:
            shown = "no data"
        else:
            level = "ok" if pct >= 95 else "warn" if pct >= 80 else "breached"
            out.append(
                f'<rect class="bar-{level}" x="{label_w}" y="{y + 3}" '
                f'width="{_num(bar_area * pct / 100)}" height="{row_height - 8}"/>'
            )
            shown = f"{round(pct)}% ({row.met}/{row.total})"
        out.append(
            f'<text class="value" x="{label_w + bar_area + 6}" '
            f'y="{y + row_height - 10}">{escape(shown)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[int],
    *,
    title: str,
    width: int = 460,
    height: int = 220,
    css_class: str = "series-backlog",
) -> str:
    """Vertical bars, one per label, each with its value written above it."""
    if len(labels) != len(values):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    left, right, top, bottom = 12, 12, 20, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max(values, default=0))
    out = _open(title, width, height, "bars")
    n = max(len(labels), 1)
    slot = plot_w / n
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top_value
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        out.append(
            f'<rect class="{escape(css_class)}" x="{_num(x)}" y="{_num(top + plot_h - h)}" '
            f'width="{_num(w)}" height="{_num(h)}"><title>{escape(label)}: {value}</title></rect>'
            f'<text class="value" x="{_num(x + w / 2)}" y="{_num(top + plot_h - h - 4)}" '
            f'text-anchor="middle">{value}</text>'
            f'<text class="axis" x="{_num(x + w / 2)}" y="{height - 10}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
