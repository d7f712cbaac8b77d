"""An inline SVG of read depth along the reference: no scripts, fonts or images.

The reference's sequences sit side by side on one axis, separated by thin lines; the
depth is drawn as a filled area from the binned profile, with the consensus masking
threshold as a dashed line.
"""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 14, 40


def _round_step(span: float, most: int) -> float:
    power = 10 ** math.floor(math.log10(span / most)) if span > 0 else 1
    for mantissa in (1, 2, 5, 10):
        if span / (mantissa * power) <= most:
            return mantissa * power
    return 10 * power


def depth_svg(title: str, profiles: dict[str, list], lengths: dict[str, int], threshold: int | None = None) -> str:
    """`profiles` maps a sequence to (first position, mean depth) bins; `lengths` its length."""
    total = sum(lengths.values())
    if not total:
        return "<p>Nothing to plot.</p>"
    top = max((depth for bins in profiles.values() for _, depth in bins), default=0)
    top = max(top, threshold or 0, 1) * 1.05
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(position: float) -> float:
        return LEFT + width * position / total

    def y(depth: float) -> float:
        return TOP + height * (1 - depth / top)

    parts = [f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">', f"<title>{escape(title)}</title>"]
    offset = 0
    for name, length in lengths.items():
        bins = profiles.get(name, [])
        points = [f"{x(offset):.1f},{y(0):.1f}"]
        for index, (first, depth) in enumerate(bins):
            end = bins[index + 1][0] - 1 if index + 1 < len(bins) else length
            points.append(f"{x(offset + first - 1):.1f},{y(depth):.1f} {x(offset + end):.1f},{y(depth):.1f}")
        points.append(f"{x(offset + length):.1f},{y(0):.1f}")
        parts.append(f'<polygon points="{" ".join(points)}" fill="#9db7e0" stroke="#1f4e9c" stroke-width="0.8"/>')
        if offset:
            parts.append(f'<line x1="{x(offset):.1f}" y1="{TOP}" x2="{x(offset):.1f}" y2="{TOP + height}" stroke="#888"/>')
        offset += length
    if threshold:
        parts.append(
            f'<line x1="{LEFT}" y1="{y(threshold):.1f}" x2="{LEFT + width}" y2="{y(threshold):.1f}" '
            'stroke="#c0392b" stroke-dasharray="4 3"/>'
        )
    step = _round_step(top, 6)
    value = 0.0
    while value <= top:
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>')
        value += step
    step = _round_step(total, 8)
    value = 0.0
    while value <= total:
        parts.append(f'<text x="{x(value):.1f}" y="{TOP + height + 16}" text-anchor="middle">{value:g}</text>')
        value += step
    parts += [
        f'<rect x="{LEFT}" y="{TOP}" width="{width}" height="{height}" fill="none" stroke="#888"/>',
        f'<text x="{LEFT + width / 2}" y="{HEIGHT - 6}" text-anchor="middle">Position on the reference</text>',
        f'<text transform="translate(12 {TOP + height / 2}) rotate(-90)" text-anchor="middle">Depth</text>',
        "</svg>",
    ]
    return "\n".join(parts)
