"""Inline SVG charts for the peptide-search report: histograms and a bar chart, drawn
from plain numbers with no plotting library, so the report needs no external assets."""

from __future__ import annotations

import html
from collections.abc import Sequence

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
COLOURS = ("#1f77b4", "#d62728", "#2ca02c")


def histogram_counts(values: Sequence[float], low: float, high: float, bins: int) -> list[int]:
    """Counts of values in `bins` equal bins over [low, high]; the top edge belongs to the last."""
    counts = [0] * bins
    span = (high - low) or 1.0
    for value in values:
        counts[min(bins - 1, max(0, int((value - low) / span * bins)))] += 1
    return counts


def _frame(x_label: str, y_label: str, y_max: float, x_ticks: list[tuple[float, str]]) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT}" role="img">',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle" font-size="12">'
        f"{html.escape(x_label)}</text>",
        f'<text x="12" y="{TOP + plot_height / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_height / 2})">{html.escape(y_label)}</text>',
    ]
    for fraction in (0, 0.5, 1):
        y = HEIGHT - BOTTOM - fraction * plot_height
        label = f"{y_max * fraction:.0f}"
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{label}</text>')
    for x, label in x_ticks:
        y = HEIGHT - BOTTOM + 14
        parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle" font-size="11">{html.escape(label)}</text>')
    return parts


def histogram_svg(
    series: dict[str, Sequence[float]],
    x_label: str,
    bins: int = 30,
    low: float | None = None,
    high: float | None = None,
) -> str:
    """Overlaid histograms (translucent bars) of each named series on shared bins."""
    everything = [value for values in series.values() for value in values]
    if not everything:
        return "<p>No values to plot.</p>"
    low = min(everything) if low is None else low
    high = max(everything) if high is None else high
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts = {name: histogram_counts(values, low, high, bins) for name, values in series.items()}
    y_max = max(1, *(max(c) for c in counts.values()))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar = plot_width / bins
    ticks = [(LEFT + plot_width * f, f"{low + (high - low) * f:.3g}") for f in (0, 0.25, 0.5, 0.75, 1)]
    parts = _frame(x_label, "count", y_max, ticks)
    for colour, (name, values) in zip(COLOURS, counts.items()):
        for position, count in enumerate(values):
            if count:
                height = count / y_max * plot_height
                parts.append(
                    f'<rect x="{LEFT + position * bar:.1f}" y="{HEIGHT - BOTTOM - height:.1f}" width="{bar:.1f}" '
                    f'height="{height:.1f}" fill="{colour}" fill-opacity="0.5"><title>{html.escape(name)}: '
                    f"{count}</title></rect>"
                )
    for number, (colour, name) in enumerate(zip(COLOURS, counts)):
        x = WIDTH - RIGHT - 150
        y = TOP + 14 + 16 * number
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}" fill-opacity="0.5"/>')
        parts.append(f'<text x="{x + 18}" y="{y}" font-size="12">{html.escape(name)} ({len(series[name])})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart_svg(values: dict[str, float], y_label: str) -> str:
    """One bar per named value."""
    if not values:
        return "<p>No values to plot.</p>"
    y_max = max(1.0, *values.values())
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / len(values)
    ticks = [(LEFT + slot * (n + 0.5), name[:16]) for n, name in enumerate(values)]
    parts = _frame("", y_label, y_max, ticks)
    for number, (name, value) in enumerate(values.items()):
        height = value / y_max * plot_height
        x = LEFT + slot * number + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="{COLOURS[0]}"><title>{html.escape(name)}: {value:g}</title></rect>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
