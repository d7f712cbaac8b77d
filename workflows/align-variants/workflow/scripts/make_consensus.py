"""One sample's consensus: called alleles applied, positions below the depth masked as N."""

from pathlib import Path

from reference.prepare import load_prepared
from workflows.common.bam_coverage import bam_depth
from workflows.common.consensus import consensus_sequences, write_fasta
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        prepared = load_prepared(Path(snakemake.input.reference))
        # Reads that show a deletion cover the deleted bases: without them a called
        # deletion would always fall in a masked stretch.
        depths = {sequence.name: sequence.depth for sequence in bam_depth(snakemake.input.bam, count_deletions=True)}
        sequences = consensus_sequences(prepared.fasta, snakemake.input.vcf, depths, snakemake.params.min_depth)
        write_fasta(sequences, snakemake.wildcards.sample, snakemake.output[0])
        for sequence in sequences:
            logger.info("%s: %d variants applied, %d positions masked", sequence.name, sequence.applied, sequence.masked_positions)


main(snakemake)  # noqa: F821 (Snakemake defines it)
