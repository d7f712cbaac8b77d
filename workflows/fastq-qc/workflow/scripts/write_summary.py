"""Write results/summary.tsv: one row of headline numbers per sample."""

from fastq_qc_support import SUMMARY_COLUMNS, as_list, read_sample_documents, summary_values
from workflows.common.report_html import formatted
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        documents = read_sample_documents(as_list(snakemake.input.profiles), as_list(snakemake.input.trimming))
        lines = ["\t".join(["sample", *SUMMARY_COLUMNS])]
        for document in documents:
            values = summary_values(document)
            lines.append("\t".join([document["sample"], *(formatted(values[column]) for column in SUMMARY_COLUMNS)]))
        with open(snakemake.output[0], "w", encoding="utf-8") as output:
            output.write("\n".join(lines) + "\n")
        logger.info("summarised %d samples", len(documents))


main(snakemake)  # noqa: F821 (Snakemake defines it)
