"""Write results/report.html: the summary table and, per sample, depth along the reference
and the variant table. The page stands alone (inline CSS and SVG, no scripts)."""

from html import escape

from align_variants_support import SUMMARY_COLUMNS, sample_results
from depth_plot import depth_svg

from workflows.common.report_html import REPORT_STYLE, formatted
from workflows.common.rule_logging import logging_to

MOST_VARIANT_ROWS = 1000



def table(headings, rows, sequence_columns=()) -> str:
    head = "".join(f"<th>{escape(heading)}</th>" for heading in headings)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="sequence">{escape(cell)}</td>' if index in sequence_columns else f"<td>{escape(cell)}</td>"
            for index, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<div class="wide"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def variant_table(variants) -> str:
    if not variants:
        return "<p>No variants passed the filters.</p>"
    rows = [
        [v.sequence, str(v.position), v.reference, v.alternate, v.kind, v.genotype, formatted(v.quality), formatted(v.depth)]
        for v in variants[:MOST_VARIANT_ROWS]
    ]
    note = ""
    if len(variants) > MOST_VARIANT_ROWS:
        note = f"<p>The first {MOST_VARIANT_ROWS} of {len(variants)} variants; all are in the VCF.</p>"
    return note + table(["Sequence", "Position", "REF", "ALT", "Type", "Genotype", "QUAL", "Depth"], rows, (2, 3))


def sample_section(result, threshold: int) -> str:
    sample = result["values"]["sample"]
    coverage = result["coverage"]
    lengths = {row["sequence"]: row["length"] for row in coverage["summary"][:-1]}
    coverage_rows = [
        [row["sequence"], str(row["length"]), formatted(row["mean_depth"])]
        + [formatted(100 * row[f"breadth_{t}x"]) for t in (1, 10, 30)]
        for row in coverage["summary"]
    ]
    return "\n".join(
        [
            f"<h2>{escape(sample)}</h2>",
            "<h3>Depth along the reference</h3>",
            depth_svg(f"Depth, {sample}", coverage["profiles"], lengths, threshold),
            f"<p>Dashed line: the consensus masking depth ({threshold}).</p>" if threshold else "",
            table(["Sequence", "Length", "Mean depth", ">= 1x %", ">= 10x %", ">= 30x %"], coverage_rows),
            "<h3>Variants</h3>",
            variant_table(result["variants"]),
        ]
    )


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        results = sample_results(snakemake)
        settings = snakemake.params.settings
        threshold = settings["min_consensus_depth"]
        summary = table(
            list(SUMMARY_COLUMNS.values()),
            [[formatted(result["values"][column]) for column in SUMMARY_COLUMNS] for result in results],
        )
        parameters = ", ".join(f"{escape(str(key))} = {escape(str(value))}" for key, value in sorted(settings.items()))
        page = "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en"><head><meta charset="utf-8"><title>align-variants report</title>',
                f"<style>{REPORT_STYLE}</style></head><body>",
                "<h1>Alignment, coverage and variants</h1>",
                f"<p>Parameters: {parameters}.</p>",
                summary,
                *(sample_section(result, threshold) for result in results),
                "</body></html>",
            ]
        )
        with open(snakemake.output[0], "w", encoding="utf-8") as output:
            output.write(page + "\n")
        logger.info("report of %d samples written", len(results))


main(snakemake)  # noqa: F821 (Snakemake defines it)
