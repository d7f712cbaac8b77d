"""What the workflows' self-contained HTML reports share: the style sheet and how a
number is shown in a table."""

from __future__ import annotations

REPORT_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ccc; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.sequence { font-family: monospace; text-align: left; }
svg { display: block; margin: 0.3em 0 1.2em; }
svg text { font-size: 11px; fill: #333; }
.note { color: #8a5a00; }
div.wide { overflow-x: auto; }
"""


def formatted(value: int | float | str | None) -> str:
    """Integers and text as they are, fractions with two decimals, a missing value as NA."""
    if value is None:
        return "NA"
    if isinstance(value, (int, str)):
        return str(value)
    return f"{value:.2f}"
