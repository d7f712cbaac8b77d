"""Write results/report.html: the summary, target and decoy score distributions, the ppm
error histogram, identifications per sample and the top peptides, as one HTML file with
inline SVG."""

import csv
import html

from report_plots import bar_chart_svg, histogram_svg
from search_support import SUMMARY_COLUMNS
from workflows.common.rule_logging import logging_to

from workflows.common.peptide_search import read_psm_table

TOP_PEPTIDES = 50
PEPTIDE_COLUMNS = {
    "peptide": "Peptide", "modifications": "Modifications", "proteins": "Proteins", "score": "Score",
    "peptide_q_value": "q-value", "psms": "PSMs", "charge": "Charge", "ppm_error": "ppm error",
    "matched_peaks": "Matched peaks", "file": "File",
}  # fmt: skip
STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}th{background:#eee}"
)


def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def table(rows, columns):
    head = "".join(f"<th>{html.escape(title)}</th>" for title in columns.values())
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row[key]))}</td>" for key in columns) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        fdr = snakemake.params.fdr
        psms = read_psm_table(snakemake.input.psms)
        summary = read_tsv(snakemake.input.summary)
        peptides = [row for row in read_tsv(snakemake.input.peptides) if row["decoy"] == "0"]
        proteins = read_tsv(snakemake.input.proteins)
        scores = {
            "targets": [row["score"] for row in psms if not row["decoy"]],
            "decoys": [row["score"] for row in psms if row["decoy"]],
        }
        accepted = [row for row in psms if not row["decoy"] and row["q_value"] <= fdr]
        errors = {"target PSMs at FDR": [row["ppm_error"] for row in accepted]}
        per_sample = {row["sample"]: float(row["target_psms"]) for row in summary if row["sample"] != "all"}
        sections = [
            f"<h1>Peptide search</h1><p>{len(psms)} PSMs (best per spectrum); FDR threshold {fdr:g}: "
            f"{len(peptides)} target peptides, {len(proteins)} protein groups (parsimony, picked-protein FDR).</p>",
            "<h2>Summary</h2>" + table(summary, {"sample": "Sample", **SUMMARY_COLUMNS}),
            "<h2>Score distribution</h2>" + histogram_svg(scores, "hyperscore"),
            "<h2>Precursor mass error</h2>" + histogram_svg(errors, "ppm error"),
            "<h2>Identifications per sample</h2>" + bar_chart_svg(per_sample, "target PSMs at FDR"),
            f"<h2>Top peptides</h2><p>The {min(TOP_PEPTIDES, len(peptides))} best-scoring of {len(peptides)}.</p>"
            + table(peptides[:TOP_PEPTIDES], PEPTIDE_COLUMNS),
        ]
        document = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Peptide search report</title>'
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n"
        )
        with open(snakemake.output[0], "w", encoding="utf-8") as output:
            output.write(document)
        logger.info("report of %d PSMs, %d peptides", len(psms), len(peptides))


main(snakemake)  # noqa: F821 (Snakemake defines it)
