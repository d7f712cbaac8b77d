"""What the summary and report scripts share. Snakemake puts this folder on the script's sys.path."""

from __future__ import annotations

import json

from workflows.common.variant_calling import read_variants

# Columns of results/summary.tsv and of the report's table, with their headings.
SUMMARY_COLUMNS = {
    "sample": "Sample",
    "layout": "Layout",
    "reads": "Reads",
    "mapped_reads": "Mapped reads",
    "mapped_percent": "Mapped %",
    "properly_paired_percent": "Properly paired %",
    "mean_depth": "Mean depth",
    "breadth_1x_percent": "Breadth >= 1x %",
    "breadth_10x_percent": "Breadth >= 10x %",
    "breadth_30x_percent": "Breadth >= 30x %",
    "snvs": "SNVs",
    "indels": "Indels",
    "other_variants": "Other variants",
    "consensus_length": "Consensus length",
    "consensus_n": "Consensus N",
}


def _percent(part: float, whole: float) -> float | None:
    return 100 * part / whole if whole else None


def read_consensus(path: str) -> tuple[int, int]:
    """Total length and N count of a consensus FASTA."""
    length = n_count = 0
    with open(path, encoding="ascii") as fasta:
        for line in fasta:
            if not line.startswith(">"):
                text = line.strip()
                length += len(text)
                n_count += text.count("N")
    return length, n_count


def sample_results(snakemake) -> list[dict]:
    """Per sample: the summary values, the coverage document and the variants."""
    results = []
    inputs = snakemake.input
    for index, sample in enumerate(snakemake.params.samples):
        with open(inputs.alignment[index], encoding="utf-8") as handle:
            alignment = json.load(handle)
        with open(inputs.coverage[index], encoding="utf-8") as handle:
            coverage = json.load(handle)
        variants = read_variants(inputs.vcf[index])
        length, n_count = read_consensus(inputs.consensus[index])
        overall = coverage["summary"][-1]
        kinds = [variant.kind for variant in variants]
        values = {
            "sample": sample,
            "layout": "paired" if alignment["paired"] else "single",
            "reads": alignment["reads"],
            "mapped_reads": alignment["mapped"],
            "mapped_percent": _percent(alignment["mapped"], alignment["reads"]),
            "properly_paired_percent": _percent(alignment["properly_paired"], alignment["reads"]) if alignment["paired"] else None,
            "mean_depth": overall["mean_depth"],
            **{f"breadth_{t}x_percent": 100 * overall[f"breadth_{t}x"] for t in (1, 10, 30)},
            "snvs": kinds.count("SNV"),
            "indels": kinds.count("indel"),
            "other_variants": kinds.count("MNV"),
            "consensus_length": length,
            "consensus_n": n_count,
        }
        results.append({"values": values, "coverage": coverage, "variants": variants})
    return results
