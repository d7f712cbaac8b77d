"""Call, normalise and filter one sample's variants with bcftools (through pysam)."""

from pathlib import Path

from reference.prepare import load_prepared
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


main(snakemake)  # noqa: F821 (Snakemake defines it)
