"""Plots as inline SVG, drawn here: the page needs no script and no network.

Every label and tooltip goes through `escape`, like all text of the page; numbers are
formatted by Python, never taken from the data as text.
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence

VERDICT_COLOURS = {"accept": "#2e7d32", "fixed": "#1565c0", "review": "#ef8f00",
                   "reject": "#c62828"}
BAR_COLOUR = "#5c6bc0"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
LABEL_CHARACTERS = 28  # a bar's label, cut beyond this (the tooltip has it whole)

# C0 controls but tab and newline, and lone surrogates: no valid page holds them
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def escape(value: object) -> str:
    """Any value as text safe inside an element or a quoted attribute."""
    text = value if isinstance(value, str) else str(value)
    return html.escape(_UNPRINTABLE.sub("\ufffd", text), quote=True)


def _cut(text: str, limit: int = LABEL_CHARACTERS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg class="plot" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def stacked_columns(columns: list[tuple[str, dict[str, int]]], series: dict[str, str],
                    label: str, width: int = 860, height: int = 260) -> str:
    """One column per (tick label, counts by series), stacked in `series` order (name ->
    colour), with a y axis and the first, middle and last tick labels."""
    left, bottom, top = 48, 36, 12
    plot_width, plot_height = width - left - 8, height - bottom - top
    tallest = max((sum(counts.get(name, 0) for name in series) for _, counts in columns),
                  default=0) or 1
    step = plot_width / max(len(columns), 1)
    body = [_y_axis(left, top, plot_height, tallest, width - 8)]
    for index, (tick, counts) in enumerate(columns):
        x = left + index * step
        y: float = top + plot_height
        parts = []
        for name, colour in series.items():
            count = counts.get(name, 0)
            if not count:
                continue
            size = plot_height * count / tallest
            y -= size
            parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
                         f'height="{size:.1f}" fill="{colour}"/>')
        total = sum(counts.get(name, 0) for name in series)
        detail = ", ".join(f"{name} {counts.get(name, 0)}" for name in series)
        body.append(f'<g><title>{escape(f"{tick}: {total} ({detail})")}</title>'
                    f'{"".join(parts)}</g>')
    ticks = {0: "start", len(columns) // 2: "middle", len(columns) - 1: "end"}
    for index, anchor in sorted(ticks.items()):
        if 0 <= index < len(columns):
            x = left + index * step + (0 if anchor == "start" else step if anchor == "end"
                                       else step / 2)
            body.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="{anchor}" {FONT}>'
                        f'{escape(columns[index][0])}</text>')
    return _svg(width, height, label, body)


def _y_axis(left: int, top: int, plot_height: float, tallest: float, right: int) -> str:
    lines = []
    for fraction in (0, 0.5, 1):
        y = top + plot_height * (1 - fraction)
        value = tallest * fraction
        lines.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'{FONT}>{_number(value)}</text>')
    return "".join(lines)


def bars(rows: Sequence[tuple[str, float, str]], label: str, maximum: float | None = None,
         width: int = 860, colour: str = BAR_COLOUR) -> str:
    """Horizontal bars: (label, value, the text written after the bar) per row."""
    row_height, left = 22, 210
    height = row_height * len(rows) + 8
    longest = maximum if maximum else max((value for _, value, _ in rows), default=0) or 1
    plot_width = width - left - 140
    body = []
    for index, (name, value, text) in enumerate(rows):
        y = 4 + index * row_height
        size = plot_width * min(value / longest, 1) if longest else 0
        body.append(f'<g><title>{escape(f"{name}: {text}")}</title>'
                    f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" {FONT}>'
                    f'{escape(_cut(name))}</text>'
                    f'<rect x="{left}" y="{y + 3}" width="{max(size, 1):.1f}" height="16" '
                    f'fill="{colour}"/><text x="{left + size + 6:.1f}" y="{y + 15}" {FONT}>'
                    f'{escape(text)}</text></g>')
    return _svg(width, height, label, body)


def share_rows(rows: list[tuple[str, dict[str, int]]], series: dict[str, str], label: str,
               width: int = 860) -> str:
    """One full-width bar per row, split by each series' share of the row's total."""
    row_height, left = 22, 210
    plot_width = width - left - 70
    height = row_height * len(rows) + 8
    body = []
    for index, (name, counts) in enumerate(rows):
        y = 4 + index * row_height
        total = sum(counts.get(series_name, 0) for series_name in series) or 1
        x = float(left)
        parts = []
        for series_name, colour in series.items():
            count = counts.get(series_name, 0)
            if not count:
                continue
            size = plot_width * count / total
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{size:.1f}" height="16" '
                         f'fill="{colour}"/>')
            x += size
        detail = ", ".join(f"{series_name} {counts.get(series_name, 0)}"
                           for series_name in series)
        body.append(f'<g><title>{escape(f"{name}: {detail}")}</title>'
                    f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" {FONT}>'
                    f'{escape(_cut(name))}</text>{"".join(parts)}'
                    f'<text x="{left + plot_width + 6}" y="{y + 15}" {FONT}>'
                    f'{sum(counts.values())}</text></g>')
    return _svg(width, height, label, body)


def legend(series: dict[str, str]) -> str:
    return '<p class="legend">' + "".join(
        f'<span><i style="background:{colour}"></i>{escape(name)}</span>'
        for name, colour in series.items()) + "</p>"


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
