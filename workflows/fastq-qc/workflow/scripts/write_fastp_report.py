"""Write results/samples/{sample}.fastp.json, the fastp-like report MultiQC's fastp
module reads: before filtering from the raw profile, after filtering and the trimming
counts from the trimming document when trimming is on."""

from fastq_qc_support import read_sample_document, write_json
from workflows.common.qc_metrics import fastp_like_report, fastp_trimming_sections
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        raw = read_sample_document(snakemake.input.profile)
        trimmed = trimming = None
        if snakemake.input.trimming:
            document = read_sample_document(snakemake.input.trimming)
            trimmed = document["profile_objects"]
            adapters = document["adapters"]
            trimming = fastp_trimming_sections(document["statistics"], (adapters["read1"], adapters["read2"]))
        report = fastp_like_report(raw["profile_objects"], raw["reads_files"], trimmed, trimming)
        write_json(snakemake.output[0], report)
        logger.info("fastp-like report of %s written", raw["sample"])


main(snakemake)  # noqa: F821 (Snakemake defines it)
