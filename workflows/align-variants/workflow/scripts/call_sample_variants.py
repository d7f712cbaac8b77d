"""Call, normalise and filter one sample's variants with bcftools (through pysam), then
make its consensus: the called alleles applied, positions below the depth masked as N."""

from pathlib import Path

from reference.prepare import load_prepared
from workflows.common.bam_coverage import bam_depth
from workflows.common.consensus import consensus_sequences, write_fasta
from workflows.common.rule_logging import logging_to
from workflows.common.variant_calling import CallSettings, call_variants, filter_expression


def main(snakemake):
    params = snakemake.params
    with logging_to(snakemake.log[0]) as logger:
        prepared = load_prepared(Path(snakemake.input.reference))
        settings = CallSettings(
            min_base_quality=params.min_base_quality,
            min_mapping_quality=params.min_mapping_quality,
            max_depth=params.max_depth,
            ploidy=params.ploidy,
            min_depth=params.min_depth,
            min_qual=params.min_qual,
        )
        logger.info("calling with %s; keeping %s", settings, filter_expression(settings))
        variants = call_variants(snakemake.input.bam, prepared.fasta, snakemake.output.vcf, settings)
        logger.info("%d variant alleles written to %s", len(variants), snakemake.output.vcf)
        # Reads that show a deletion cover the deleted bases: without them a called
        # deletion would always fall in a masked stretch.
        counted = bam_depth(snakemake.input.bam, count_deletions=True, threads=snakemake.threads)
        depths = {sequence.name: sequence.depth for sequence in counted}
        sequences = consensus_sequences(prepared.fasta, snakemake.output.vcf, depths, params.min_consensus_depth)
        write_fasta(sequences, snakemake.wildcards.sample, snakemake.output.consensus)
        for sequence in sequences:
            logger.info("consensus %s: %d variants applied, %d positions masked", sequence.name, sequence.applied,
                        sequence.masked_positions)


main(snakemake)  # noqa: F821 (Snakemake defines it)
