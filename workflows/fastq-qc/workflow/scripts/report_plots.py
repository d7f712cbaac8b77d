"""Inline SVG charts for the HTML report: lines, a box plot and bars, no scripts or fonts.

Coordinates are data values; `Frame` maps them into the plotting area and draws the
axes, so each chart function only says what to draw.
"""

from __future__ import annotations

import itertools
import math
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 150, 14, 40  # margins; the legend sits in the right one
MOST_POINTS = 500  # longer series are thinned, keeping the page small
COLOURS = ("#1f4e9c", "#c0392b", "#2e8b57", "#d4a017", "#7d3c98", "#555555")
# Background bands in the colours users know from FastQC: good, reasonable, poor.
QUALITY_BANDS = ((28, "#dcefdc"), (20, "#f8edcf"), (0, "#f5d6d6"))


def tick_step(span: float, most_ticks: int = 10) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving at most `most_ticks` ticks."""
    for power in itertools.count(-3):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**power
            if span / step <= most_ticks:
                return step
    raise AssertionError("unreachable")  # pragma: no cover


def _label(value: float) -> str:
    return f"{value:g}"


class Frame:
    """A plotting area over [x_low, x_high] x [y_low, y_high]."""

    def __init__(self, title: str, x_range: tuple[float, float], y_range: tuple[float, float]):
        self.title = title
        self.x_low, self.x_high = x_range
        self.y_low, self.y_high = y_range
        if self.x_high <= self.x_low:
            self.x_high = self.x_low + 1
        if self.y_high <= self.y_low:
            self.y_high = self.y_low + 1
        self.plot_width = WIDTH - LEFT - RIGHT
        self.plot_height = HEIGHT - TOP - BOTTOM
        self.parts: list[str] = []

    def x(self, value: float) -> float:
        return LEFT + self.plot_width * (value - self.x_low) / (self.x_high - self.x_low)

    def y(self, value: float) -> float:
        return TOP + self.plot_height * (1 - (value - self.y_low) / (self.y_high - self.y_low))

    def add(self, element: str) -> None:
        self.parts.append(element)

    def band(self, y_from: float, y_to: float, colour: str) -> None:
        top, bottom = self.y(min(y_to, self.y_high)), self.y(max(y_from, self.y_low))
        self.add(f'<rect x="{LEFT}" y="{top:.1f}" width="{self.plot_width}" height="{bottom - top:.1f}" fill="{colour}"/>')

    def polyline(self, points: list[tuple[float, float]], colour: str, width: float = 1.5) -> None:
        if len(points) > MOST_POINTS:
            step = math.ceil(len(points) / MOST_POINTS)
            points = points[::step] + ([points[-1]] if (len(points) - 1) % step else [])
        coordinates = " ".join(f"{self.x(px):.1f},{self.y(py):.1f}" for px, py in points)
        self.add(f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="{width}"/>')

    def legend(self, labels: list[tuple[str, str]]) -> None:
        for row, (label, colour) in enumerate(labels):
            top = TOP + 8 + 16 * row
            left = WIDTH - RIGHT + 10
            self.add(f'<rect x="{left}" y="{top - 8}" width="10" height="10" fill="{colour}"/>')
            self.add(f'<text x="{left + 14}" y="{top + 1}">{escape(label)}</text>')

    def svg(self, x_label: str, y_label: str, x_ticks: list[tuple[float, str]] | None = None) -> str:
        axes = []
        y_step = tick_step(self.y_high - self.y_low, 8)
        value = math.ceil(self.y_low / y_step) * y_step
        while value <= self.y_high + 1e-9:
            axes.append(f'<text x="{LEFT - 6}" y="{self.y(value) + 4:.1f}" text-anchor="end">{_label(round(value, 6))}</text>')
            value += y_step
        if x_ticks is None:
            x_step = max(1, tick_step(self.x_high - self.x_low, 10))
            first = math.ceil(self.x_low / x_step) * x_step
            count = int((self.x_high - first) // x_step) + 1
            x_ticks = [(first + i * x_step, _label(first + i * x_step)) for i in range(count)]
        for position, text in x_ticks:
            axes.append(
                f'<text x="{self.x(position):.1f}" y="{TOP + self.plot_height + 16}" text-anchor="middle">{escape(text)}</text>'
            )
        return "\n".join(
            [
                f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
                f"<title>{escape(self.title)}</title>",
                *self.parts,
                *axes,
                f'<rect x="{LEFT}" y="{TOP}" width="{self.plot_width}" height="{self.plot_height}" fill="none" stroke="#888"/>',
                f'<text x="{LEFT + self.plot_width / 2}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_label)}</text>',
                f'<text transform="translate(12 {TOP + self.plot_height / 2}) rotate(-90)" '
                f'text-anchor="middle">{escape(y_label)}</text>',
                "</svg>",
            ]
        )


def line_chart(
    title: str,
    series: dict[str, list[tuple[float, float]]],
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] | None = None,
) -> str:
    """One line per series, coloured in order, with a legend."""
    points = [point for line in series.values() for point in line]
    if not points:
        return "<p>Nothing to plot.</p>"
    xs = [px for px, _ in points]
    if y_range is None:
        y_range = (0, max(py for _, py in points) * 1.05 or 1)
    frame = Frame(title, (min(xs), max(xs)), y_range)
    labels = []
    for (label, line), colour in zip(series.items(), itertools.cycle(COLOURS)):
        frame.polyline(line, colour)
        labels.append((label, colour))
    frame.legend(labels)
    return frame.svg(x_label, y_label)


def quality_box_plot(title: str, boxes: list[dict]) -> str:
    """FastQC's per-position quality plot: a box from the 25th to the 75th percentile,
    whiskers to the 10th and 90th, the median as a bar, the mean as a line; each box
    covers positions `first`..`last`."""
    if not boxes:
        return "<p>No bases to plot.</p>"
    top = max(41, max(box["p90"] for box in boxes) + 1)
    frame = Frame(title, (boxes[0]["first"] - 0.5, boxes[-1]["last"] + 0.5), (0, top))
    ceiling = top
    for floor, colour in QUALITY_BANDS:
        frame.band(floor, ceiling, colour)
        ceiling = floor
    for box in boxes:
        left, right = frame.x(box["first"] - 0.4), frame.x(box["last"] + 0.4)
        middle = (left + right) / 2
        frame.add(
            f'<line x1="{middle:.1f}" y1="{frame.y(box["p10"]):.1f}" x2="{middle:.1f}" y2="{frame.y(box["p90"]):.1f}" stroke="#333"/>'
        )
        frame.add(
            f'<rect x="{left:.1f}" y="{frame.y(box["p75"]):.1f}" width="{right - left:.1f}" '
            f'height="{frame.y(box["p25"]) - frame.y(box["p75"]):.1f}" fill="#f2d32c" stroke="#333" stroke-width="0.5"/>'
        )
        frame.add(
            f'<line x1="{left:.1f}" y1="{frame.y(box["p50"]):.1f}" x2="{right:.1f}" y2="{frame.y(box["p50"]):.1f}" stroke="#c0392b"/>'
        )
    frame.polyline([((box["first"] + box["last"]) / 2, box["mean"]) for box in boxes], COLOURS[0])
    frame.legend([("mean", COLOURS[0]), ("median", "#c0392b"), ("25-75%", "#f2d32c"), ("10-90%", "#333333")])
    return frame.svg("Position in read (bases)", "Phred quality")


def bar_chart(title: str, bars: list[tuple[str, float]], x_label: str, y_label: str, y_top: float | None = None) -> str:
    """Bars with text labels under them."""
    if not bars:
        return "<p>Nothing to plot.</p>"
    top = y_top if y_top is not None else max(value for _, value in bars) * 1.05 or 1
    frame = Frame(title, (-0.5, len(bars) - 0.5), (0, top))
    for index, (_, value) in enumerate(bars):
        left, right = frame.x(index - 0.35), frame.x(index + 0.35)
        frame.add(
            f'<rect x="{left:.1f}" y="{frame.y(value):.1f}" width="{right - left:.1f}" '
            f'height="{frame.y(0) - frame.y(value):.1f}" fill="{COLOURS[0]}"/>'
        )
    step = math.ceil(len(bars) / 20)
    ticks = [(index, label) for index, (label, _) in enumerate(bars) if index % step == 0]
    return frame.svg(x_label, y_label, ticks)
