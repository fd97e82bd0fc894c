"""Server-rendered SVG charts: stacked bars per hour, horizontal bars per HRIS. No script, no library.

Each chart also comes with a table of the same numbers (for screen readers, and for reading exact values).
Colours are CSS classes (``.s-succeeded`` ...), so the light and dark themes both apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 220
LEFT = 40
BOTTOM = 28
TOP = 12


def _nice_max(value: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if value <= step:
            return float(step)
    return float(value)


def stacked_hours(title: str, starts: list[datetime], series: dict[str, list[int]]) -> Markup:
    """Bars per hour, one segment per series (in the order given), with hour labels every 3 hours."""
    count = len(starts)
    totals = [sum(values[i] for values in series.values()) for i in range(count)]
    top = _nice_max(max(totals, default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(count, 1)
    parts = [_frame(title, top, plot_w, plot_h)]
    for i, start in enumerate(starts):
        x = LEFT + i * slot + slot * 0.15
        y = float(TOP + plot_h)
        for name, values in series.items():
            h = plot_h * values[i] / top
            if values[i]:
                y -= h
                label = f"{start:%H}:00 {name}: {values[i]}"
                parts.append(
                    f'<rect class="s-{_css(name)}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}">'
                    f"<title>{escape(label)}</title></rect>"
                )
        if i % 3 == 0:
            middle = x + slot * 0.35
            parts.append(
                f'<text class="axis" x="{middle:.1f}" y="{HEIGHT - 10}" text-anchor="middle">{start:%H}h</text>'
            )
    return _svg(title, parts)


def horizontal(title: str, rows: list[dict[str, Any]], keys: list[str], unit: str) -> Markup:
    """One group of bars per row (``row["system"]``), one bar per key."""
    if not rows:
        return Markup('<p class="muted">No attempts in the last 24 hours.</p>')
    top = _nice_max(max((float(row[k]) for row in rows for k in keys), default=1) or 1)
    label_w, bar_h = 120, 14
    height = TOP + len(rows) * (len(keys) * (bar_h + 3) + 12) + 8
    plot_w = WIDTH - label_w - 90
    parts = []
    y = float(TOP)
    for row in rows:
        parts.append(f'<text class="label" x="0" y="{y + bar_h:.1f}">{escape(row["system"])}</text>')
        for key in keys:
            w = max(1.0, plot_w * float(row[key]) / top)
            parts.append(
                f'<rect class="s-{_css(key)}" x="{label_w}" y="{y:.1f}" width="{w:.1f}" height="{bar_h}">'
                f"<title>{escape(row['system'])} {key}: {float(row[key]):.0f} {unit}</title></rect>"
                f'<text class="axis" x="{label_w + w + 6:.1f}" y="{y + bar_h - 3:.1f}">'
                f"{key} {float(row[key]):.0f} {unit}</text>"
            )
            y += bar_h + 3
        y += 12
    return _svg(title, parts, height)


def line_hours(title: str, starts: list[datetime], values: list[int]) -> Markup:
    top = _nice_max(max(values, default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(values), 1)
    points = " ".join(
        f"{LEFT + i * slot + slot / 2:.1f},{TOP + plot_h - plot_h * v / top:.1f}" for i, v in enumerate(values)
    )
    parts = [_frame(title, top, plot_w, plot_h), f'<polyline class="line" points="{points}"/>']
    for i, start in enumerate(starts):
        if i % 3 == 0:
            parts.append(
                f'<text class="axis" x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - 10}" '
                f'text-anchor="middle">{start:%H}h</text>'
            )
    return _svg(title, parts)


def _frame(title: str, top: float, plot_w: float, plot_h: float) -> str:
    lines = []
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h - plot_h * fraction
        lines.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>')
        lines.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{top * fraction:g}</text>')
    return "".join(lines)


def _svg(title: str, parts: list[str], height: int | float = HEIGHT) -> Markup:
    # Every part is built here from numbers and escaped text.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def _css(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())
