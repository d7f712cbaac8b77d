"""Coordinate-sort one sample's BAM and index it (samtools sort/index through pysam)."""

from workflows.common.alignment import sort_and_index
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        sort_and_index(snakemake.input[0], snakemake.output.bam, snakemake.threads)
        logger.info("sorted and indexed %s", snakemake.output.bam)


main(snakemake)  # noqa: F821 (Snakemake defines it)
