"""Trim one chunk of a sample (a sample not split is one chunk) with the adapters and
poly-G trimming decided from the sample's merged raw profile; write the trimmed reads
(1.fastq.gz, and 2.fastq.gz for a pair) and trimming.json (the decisions, the counts
and the profiles of the trimmed reads) to chunks/{sample}/trimmed_{chunk}/."""

import time
from pathlib import Path

from fastq_qc_support import (
    chunk_first_record, chunk_trim_options, input_error, log_trimmed, read_sample_document, trimming_choices,
    trimming_document, write_json,
)
from workflows.common.qc_trimming import trim_and_profile
from workflows.common.rule_logging import logging_to
from workflows.common.sequence_files import SequenceFileError


def main(snakemake):
    params = snakemake.params
    files, reads = list(params.files), list(params.reads)
    chunk = int(snakemake.wildcards.chunk)
    folder = Path(snakemake.output[0])
    with logging_to(snakemake.log[0]) as logger:
        folder.mkdir(parents=True, exist_ok=True)
        first_record = chunk_first_record(files, reads, chunk)
        raw = read_sample_document(snakemake.input.profile)["profile_objects"]
        encoding = raw[0].encoding
        choices = trimming_choices(params, raw)
        options = chunk_trim_options(files, folder, choices, encoding, snakemake.threads, logger)
        started = time.perf_counter()
        try:
            statistics, profiles = trim_and_profile(options, encoding, params.max_read_length)
        except SequenceFileError as error:
            raise input_error(error, files, reads, first_record) from None
        log_trimmed(logger, statistics, len(files) == 2, time.perf_counter() - started)
        document = trimming_document(snakemake.wildcards.sample, chunk, reads, choices, encoding, statistics, profiles)
        write_json(folder / "trimming.json", document)


main(snakemake)  # noqa: F821 (Snakemake defines it)
