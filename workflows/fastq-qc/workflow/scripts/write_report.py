"""Write results/report.html: the summary table and, per sample, the FastQC-style plots,
before and after trimming (each file of a pair apart), and what trimming did.

The page stands alone (inline CSS and SVG; no scripts, fonts or images fetched), so it
can be downloaded, mailed or archived with a run and still open anywhere.
"""

import math
from html import escape

import numpy as np
from fastq_qc_support import SUMMARY_COLUMNS, as_list, read_sample_documents, summary_values
from workflows.common.report_html import REPORT_STYLE, formatted
from workflows.common.rule_logging import logging_to
from report_plots import bar_chart, line_chart, quality_box_plot

from kernels.adapter_content import ADAPTERS
from workflows.common.qc_metrics import (
    PERCENTILES,
    adapter_content,
    base_composition,
    duplication_levels,
    overrepresented_sequences,
    percentile_rows,
)

MOST_BOXES = 75  # longer reads are drawn in groups of positions, as FastQC does
MOST_LENGTH_BARS = 60



def quality_boxes(profile):
    """Box-plot statistics per position, or per group of positions for long reads."""
    histograms = profile.position_quality_histograms()
    if not len(histograms):
        return []
    width = max(1, math.ceil(len(histograms) / MOST_BOXES))
    starts = np.arange(0, len(histograms), width)
    grouped = np.add.reduceat(histograms, starts, axis=0)
    counts = grouped.sum(axis=1)
    means = (grouped @ np.arange(grouped.shape[1])) / np.maximum(counts, 1)
    stats = {f"p{percent}": percentile_rows(grouped, percent) for percent in PERCENTILES}
    return [
        {
            "first": int(start) + 1,
            "last": int(min(start + width, len(histograms))),
            "mean": float(means[row]),
            **{key: int(values[row]) for key, values in stats.items()},
        }
        for row, start in enumerate(starts)
        if counts[row]
    ]


def composition_svg(sample, profile):
    composition = base_composition(profile)
    series = {
        f"% {base}": [(position, 100 * share) for position, share in enumerate(composition[base], start=1)]
        for base in ("A", "C", "G", "T", "N")
    }
    return line_chart(f"Base composition by position, {sample}", series, "Position in read (bases)", "% of bases", (0, 100))


def gc_svg(sample, profile):
    histogram = profile.gc_histogram
    total = histogram.sum()
    if not total:
        return "<p>No read with A, C, G or T bases.</p>"
    series = {"reads": [(percent, 100 * count / total) for percent, count in enumerate(histogram.tolist())]}
    return line_chart(f"GC content of reads, {sample}", series, "GC content of the read (%)", "% of reads")


def length_svg(sample, profile):
    lengths = np.flatnonzero(profile.length_histogram)
    if not lengths.size:
        return "<p>No reads.</p>"
    counts = profile.length_histogram
    if lengths[-1] - lengths[0] < MOST_LENGTH_BARS:
        bars = [(str(length), int(counts[length])) for length in range(lengths[0], lengths[-1] + 1)]
        return bar_chart(f"Read lengths, {sample}", bars, "Read length (bases)", "Reads")
    series = {"reads": [(length, int(counts[length])) for length in range(lengths[0], lengths[-1] + 1)]}
    return line_chart(f"Read lengths, {sample}", series, "Read length (bases)", "Reads")


def adapter_svg(sample, metrics_curves):
    names = {adapter.key: adapter.label for adapter in ADAPTERS}
    series = {
        names[key]: [(position, value) for position, value in enumerate(curve, start=1)]
        for key, curve in metrics_curves.items()
    }
    return line_chart(f"Adapter content, {sample}", series, "Position in read (bases)", "% of reads", (0, 100))


def duplication_svg(sample, profile):
    duplication = duplication_levels(profile)
    if duplication["rate"] is None:
        return "<p>No reads to measure duplication on.</p>"
    bars = [(level["level"], level["percent_of_reads"]) for level in duplication["levels"]]
    sampled = (
        "all reads"
        if duplication["sampling_level"] == 0
        else f"a sample of 1 in {2 ** duplication['sampling_level']} distinct sequences"
    )
    caption = (
        f"<p>Estimated duplicate reads: {100 * duplication['rate']:.2f}% (reads repeating an earlier read's "
        f"first 50 bases, or whole read up to 75 bases), from {sampled}.</p>"
    )
    chart = bar_chart(f"Duplication levels, {sample}", bars, "Copies of the sequence", "% of reads", 100)
    return caption + chart


def overrepresented_html(profile):
    found = overrepresented_sequences(profile)
    if not found:
        return "<p>No sequence makes up more than 0.1% of the reads.</p>"
    rows = "\n".join(
        f'<tr><td class="sequence">{escape(entry["sequence"])}</td><td>{entry["count"]}</td>'
        f'<td>{entry["percent"]:.2f}</td><td>{escape(entry["possible_source"])}</td></tr>'
        for entry in found
    )
    return (
        "<table>\n<tr><th>Sequence</th><th>Count</th><th>% of reads</th><th>Possible source</th></tr>\n"
        f"{rows}\n</table>"
    )


def profile_views(document):
    """(label, profile) for each plotted state of a sample: read 1 and read 2 of a pair,
    before and after trimming; the label is empty for one file not trimmed."""
    raw = document["profile_objects"]
    trimming = document["trimming"]
    reads = ["read 1", "read 2"] if len(raw) == 2 else [""]
    states = [("before trimming", raw)] + ([("after trimming", trimming["profile_objects"])] if trimming else [])
    views = []
    for read, index in zip(reads, range(len(raw))):
        for state, profiles in states:
            label = ", ".join(filter(None, [read, state if trimming else ""]))
            views.append((label, profiles[index]))
    return views


def trimming_html(document):
    trimming = document["trimming"]
    statistics = trimming["statistics"]
    settings = trimming["settings"]
    paired = trimming["paired"]
    adapters = trimming["adapters"]
    unit = "pairs" if paired else "reads"
    sides = 2 if paired else 1

    def share(count, whole):
        return f"{count:,} ({100 * count / whole:.2f}%)" if whole else f"{count:,}"

    adapter_text = ", ".join(adapters["read1"]) or "none"
    if paired:
        adapter_text = f"read 1: {adapter_text}; read 2: {', '.join(adapters['read2']) or 'none'}"
    rows = [
        ("Adapters trimmed", adapter_text),
        ("How they were chosen", adapters["decision"]),
        ("Poly-G tails", trimming["poly_g"]["decision"]),
        ("Quality cutoff (3')", str(settings["quality_cutoff"]) if settings["quality_cutoff"] else "off"),
        ("Minimum length", str(settings["min_length"]) if settings["min_length"] else "off"),
        (f"{unit.capitalize()} processed", f"{statistics['reads']:,}"),
        *((f"Read {side + 1} with adapter" if paired else "Reads with adapter",
           share(statistics["with_adapters"][side], statistics["reads"])) for side in range(sides)),
        (f"{unit.capitalize()} too short (dropped)", share(statistics["too_short"], statistics["reads"])),
        (f"{unit.capitalize()} written", share(statistics["written"], statistics["reads"])),
        ("Bases processed", f"{sum(statistics['bases']):,}"),
        ("Bases removed: quality", f"{sum(statistics['quality_trimmed_bases']):,}"),
        ("Bases removed: poly-G", f"{sum(statistics['poly_g_trimmed_bases']):,}"),
        ("Bases removed: adapters", f"{statistics['adapter_trimmed_bases']:,}"),
        ("Bases written", share(sum(statistics["written_bases"]), sum(statistics["bases"]))),
    ]
    if adapters["setting"] == "auto":
        content = ", ".join(f"{kit} {percent:.3g}%" for kit, percent in adapters["content_percent"].items())
        rows.insert(2, ("Reads carrying each kit's adapter", content))
    cells = "\n".join(f"<tr><td>{escape(name)}</td><td>{escape(value)}</td></tr>" for name, value in rows)
    files = ", ".join(escape(path) for path in trimming["trimmed_files"])
    return f"<p>Trimmed reads: {files}.</p>\n<table>\n{cells}\n</table>"


PLOT_HEADINGS = (
    "Quality by position", "Base composition by position", "GC content", "Read lengths", "Adapter content",
    "Duplication", "Overrepresented sequences",
)  # fmt: skip


def plots_of(heading, title, profile):
    if heading == "Quality by position":
        return quality_box_plot(f"Quality by position, {title}", quality_boxes(profile))
    if heading == "Base composition by position":
        return composition_svg(title, profile)
    if heading == "GC content":
        return gc_svg(title, profile)
    if heading == "Read lengths":
        return length_svg(title, profile)
    if heading == "Adapter content":
        return adapter_svg(title, adapter_content(profile))
    if heading == "Duplication":
        return duplication_svg(title, profile)
    return overrepresented_html(profile)


def sample_section(document):
    sample, profiles = document["sample"], document["profile_objects"]
    parts = [f"<h2>{escape(sample)}</h2>"]
    for path, profile in zip(document["reads_files"], profiles):
        encoding = profile.encoding
        parts.append(f"<p>{escape(path)}: {profile.reads} reads; quality encoding {escape(encoding.description)}.</p>")
        if encoding.message:
            parts.append(f'<p class="note">{escape(encoding.message)}</p>')
    if document["trimming"] is not None:
        parts += ["<h3>Trimming</h3>", trimming_html(document)]
    views = profile_views(document)
    for heading in PLOT_HEADINGS:
        parts.append(f"<h3>{heading}</h3>")
        for label, profile in views:
            if label:
                parts.append(f"<h4>{escape(label)}</h4>")
            parts.append(plots_of(heading, ", ".join(filter(None, [sample, label])), profile))
    return "\n".join(parts)


def summary_table_html(documents):
    headings = "".join(f"<th>{escape(title)}</th>" for title in SUMMARY_COLUMNS.values())
    rows = []
    for document in documents:
        values = summary_values(document)
        cells = "".join(f"<td>{escape(formatted(values[key]))}</td>" for key in SUMMARY_COLUMNS)
        rows.append(f"<tr><td>{escape(document['sample'])}</td>{cells}</tr>")
    table = f"<table>\n<tr><th>Sample</th>{headings}</tr>\n" + "\n".join(rows) + "\n</table>"
    return f'<div class="wide">{table}</div>'



def report_html(documents):
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><title>FASTQ quality report</title>',
            f"<style>{REPORT_STYLE}</style></head>",
            "<body>",
            "<h1>FASTQ quality report</h1>",
            summary_table_html(documents),
            "<p>GC % is a share of A, C, G and T bases; Q20 %, Q30 % and N % are shares of all bases. "
            "Duplicates are estimated from a sample of distinct sequences; adapter % is the share of reads "
            "carrying the most frequent adapter's first 12 bases. For a pair, the numbers are those of both "
            "files together. After trimming: the reads written to the trimmed FASTQ.gz.</p>",
            *(sample_section(document) for document in documents),
            "</body>",
            "</html>",
        ]
    )


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        documents = read_sample_documents(as_list(snakemake.input.profiles), as_list(snakemake.input.trimming))
        with open(snakemake.output[0], "w", encoding="utf-8") as output:
            output.write(report_html(documents) + "\n")
        logger.info("reported %d samples", len(documents))


main(snakemake)  # noqa: F821 (Snakemake defines it)
