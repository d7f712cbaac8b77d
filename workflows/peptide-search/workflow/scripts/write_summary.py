"""Write results/summary.tsv: a row of identification counts per sample, then "all"."""

from search_support import SUMMARY_COLUMNS, summary_row

from workflows.common.peptide_search import read_psm_table
from workflows.common.report_html import formatted
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        fdr = snakemake.params.fdr
        psms = read_psm_table(snakemake.input.psms)
        lines = ["\t".join(["sample", *SUMMARY_COLUMNS])]
        groups = [(sample, snakemake.params.files[sample]) for sample in snakemake.params.samples]
        for sample, file_name in [*groups, ("all", None)]:
            chosen = [row for row in psms if file_name is None or row["file"] == file_name]
            values = summary_row(chosen, fdr)
            lines.append("\t".join([sample, *(formatted(values[column]) for column in SUMMARY_COLUMNS)]))
        with open(snakemake.output[0], "w", encoding="utf-8") as output:
            output.write("\n".join(lines) + "\n")
        logger.info("summarised %d samples", len(groups))


main(snakemake)  # noqa: F821 (Snakemake defines it)
