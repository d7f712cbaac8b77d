"""Write results/summary.tsv: one row per sample."""

from align_variants_support import SUMMARY_COLUMNS, sample_results

from workflows.common.report_html import formatted
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        rows = [result["values"] for result in sample_results(snakemake)]
        with open(snakemake.output[0], "w", encoding="utf-8") as table:
            table.write("\t".join(SUMMARY_COLUMNS) + "\n")
            for row in rows:
                table.write("\t".join(formatted(row[column]) for column in SUMMARY_COLUMNS) + "\n")
        logger.info("%d samples summarised", len(rows))


main(snakemake)  # noqa: F821 (Snakemake defines it)
