"""Write results/report.html: the summary table and a quality-by-position plot per sample.

The page stands alone (inline CSS and SVG; no scripts, fonts or images fetched), so it
can be downloaded, mailed or archived with a run and still open anywhere.
"""

import itertools
import math
from html import escape

from fastq_qc_support import SUMMARY_COLUMNS, formatted_metric, logging_to, read_sample_profiles

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36  # margins around the plotting area
MOST_POINTS = 500  # longer reads are drawn in bins, keeping the page small
# Background bands in the colours users know from FastQC: good, reasonable, poor.
QUALITY_BANDS = ((28, "#dcefdc"), (20, "#f8edcf"), (0, "#f5d6d6"))

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ccc; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg text { font-size: 11px; fill: #333; }
"""


def binned_mean_quality(sums, counts):
    """Return (first position, last position, mean quality) per bin, positions from 1."""
    width = max(1, math.ceil(len(sums) / MOST_POINTS))
    bins = []
    for start in range(0, len(sums), width):
        stop = min(start + width, len(sums))
        bins.append((start + 1, stop, sum(sums[start:stop]) / sum(counts[start:stop])))
    return bins


def tick_step(span, most_ticks=10):
    """A round step (1, 2 or 5 times a power of ten) giving at most `most_ticks` ticks."""
    for power in itertools.count():
        for mantissa in (1, 2, 5):
            step = mantissa * 10**power
            if span / step <= most_ticks:
                return step


def quality_plot_svg(sample, profile):
    bins = binned_mean_quality(profile["position_quality_sum"], profile["position_quality_count"])
    if not bins:
        return "<p>No bases to plot.</p>"
    longest = bins[-1][1]
    top_quality = max(41, math.ceil(max(mean for _, _, mean in bins)))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(position):
        return LEFT + plot_width * (position - 0.5) / longest

    def y(quality):
        return TOP + plot_height * (1 - quality / top_quality)

    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
        f"<title>Mean quality by position, {escape(sample)}</title>",
    ]
    ceiling = top_quality
    for floor, colour in QUALITY_BANDS:
        parts.append(
            f'<rect x="{LEFT}" y="{y(ceiling):.1f}" width="{plot_width}" '
            f'height="{y(floor) - y(ceiling):.1f}" fill="{colour}"/>'
        )
        ceiling = floor
    for quality in range(0, top_quality + 1, tick_step(top_quality)):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(quality) + 4:.1f}" text-anchor="end">{quality}</text>'
        )
    for position in range(tick_step(longest), longest + 1, tick_step(longest)):
        parts.append(
            f'<text x="{x(position):.1f}" y="{TOP + plot_height + 16}" '
            f'text-anchor="middle">{position}</text>'
        )
    points = " ".join(f"{x((first + last) / 2):.1f},{y(mean):.1f}" for first, last, mean in bins)
    parts += [
        f'<polyline points="{points}" fill="none" stroke="#1f4e9c" stroke-width="1.5"/>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_width}" height="{plot_height}" '
        'fill="none" stroke="#888"/>',
        f'<text x="{LEFT + plot_width / 2}" y="{HEIGHT - 4}" text-anchor="middle">'
        "Position in read (bases)</text>",
        f'<text transform="translate(12 {TOP + plot_height / 2}) rotate(-90)" '
        'text-anchor="middle">Mean Phred quality</text>',
        "</svg>",
    ]
    return "\n".join(parts)


def summary_table_html(documents):
    headings = "".join(f"<th>{escape(title)}</th>" for title in SUMMARY_COLUMNS.values())
    rows = []
    for document in documents:
        summary = document["profile"]["summary"]
        cells = "".join(f"<td>{formatted_metric(summary[key])}</td>" for key in SUMMARY_COLUMNS)
        rows.append(f"<tr><td>{escape(document['sample'])}</td>{cells}</tr>")
    return f"<table>\n<tr><th>Sample</th>{headings}</tr>\n" + "\n".join(rows) + "\n</table>"


def report_html(documents):
    sections = [
        f"<h2>{escape(document['sample'])}</h2>\n"
        + quality_plot_svg(document["sample"], document["profile"])
        for document in documents
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><title>FASTQ quality report</title>',
            f"<style>{STYLE}</style></head>",
            "<body>",
            "<h1>FASTQ quality report</h1>",
            summary_table_html(documents),
            "<p>GC % is a share of A, C, G and T bases; Q20 %, Q30 % and N % are shares of "
            "all bases.</p>",
            *sections,
            "</body>",
            "</html>",
        ]
    )


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        documents = read_sample_profiles(snakemake.input)
        with open(snakemake.output[0], "w", encoding="utf-8") as output:
            output.write(report_html(documents) + "\n")
        logger.info("reported %d samples", len(documents))


main(snakemake)  # noqa: F821 (Snakemake defines it)
