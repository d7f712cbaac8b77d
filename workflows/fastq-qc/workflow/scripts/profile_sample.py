"""Profile one sample's FASTQ file (plain or gzip) into results/samples/{sample}.profile.json
and the fastp-like results/samples/{sample}.fastp.json."""

import json
import time

from workflows.common.qc_metrics import fastp_like_report, profile_file
from workflows.common.rule_logging import InputError, logging_to
from workflows.common.sequence_files import SequenceFileError


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as output:
        json.dump(document, output, indent=1)
        output.write("\n")


def main(snakemake):
    params = snakemake.params
    with logging_to(snakemake.log[0]) as logger:
        reads_path = snakemake.input[0]
        logger.info("profiling %s as sample %s", reads_path, snakemake.wildcards.sample)
        started = time.perf_counter()
        try:
            profile = profile_file(
                reads_path, params.quality_offset, params.max_read_length, params.chunk_mb << 20
            )
        except SequenceFileError as error:
            raise InputError(str(error)) from None
        seconds = time.perf_counter() - started
        logger.info("%d reads, %d bases in %.2f s", profile.reads, profile.bases, seconds)
        encoding = profile.encoding
        logger.info("quality encoding: %s", encoding.description)
        if encoding.message:
            logger.warning("%s: %s", reads_path, encoding.message)
        document = {
            "sample": snakemake.wildcards.sample,
            "reads_file": reads_path,
            "params": {
                "quality_offset": params.quality_offset,
                "max_read_length": params.max_read_length,
            },
            "profile": profile.to_dict(),
        }
        write_json(snakemake.output.profile, document)
        write_json(snakemake.output.fastp, fastp_like_report([profile], [reads_path]))


main(snakemake)  # noqa: F821 (Snakemake defines it)
