"""Profile and trim one chunk of a sample in a single pass over its reads, where the
adapters and poly-G trimming are set rather than detected (so they need no raw profile
first): chunks/{sample}/profile_{chunk}.json as profile_chunk.py writes it, and
chunks/{sample}/trimmed_{chunk}/ as trim_chunk.py does. The quality encoding is decided
from the first reads and checked against the whole chunk (`profile_and_trim`)."""

import time
from pathlib import Path

from fastq_qc_support import (
    chunk_first_record, chunk_trim_options, input_error, log_trimmed, profile_document, trimming_choices,
    trimming_document, write_json,
)
from kernels.fastq_profile import Profile
from workflows.common.qc_trimming import profile_and_trim
from workflows.common.rule_logging import logging_to
from workflows.common.sequence_files import SequenceFileError


def main(snakemake):
    params = snakemake.params
    files, reads = list(params.files), list(params.reads)
    chunk = int(snakemake.wildcards.chunk)
    sample = snakemake.wildcards.sample
    folder = Path(snakemake.output.trimmed)
    with logging_to(snakemake.log[0]) as logger:
        folder.mkdir(parents=True, exist_ok=True)
        first_record = chunk_first_record(files, reads, chunk)
        logger.info("profiling and trimming %s (sample %s, from record %d)", " and ".join(files), sample,
                    first_record + 1)
        # Set, not detected: empty profiles give the same adapters; the document below
        # records their content in the raw reads.
        nothing = [Profile(params.quality_offset, params.max_read_length) for _ in files]
        options = chunk_trim_options(files, folder, trimming_choices(params, nothing), nothing[0].encoding,
                                     snakemake.threads, logger)
        started = time.perf_counter()
        try:
            raw, statistics, profiles = profile_and_trim(options, params.quality_offset, params.max_read_length)
        except SequenceFileError as error:
            raise input_error(error, files, reads, first_record) from None
        encoding = raw[0].encoding
        log_trimmed(logger, statistics, len(files) == 2, time.perf_counter() - started, encoding)
        write_json(snakemake.output.profile, profile_document(sample, chunk, raw))
        choices = trimming_choices(params, raw)
        write_json(folder / "trimming.json",
                   trimming_document(sample, chunk, reads, choices, encoding, statistics, profiles))


main(snakemake)  # noqa: F821 (Snakemake defines it)
