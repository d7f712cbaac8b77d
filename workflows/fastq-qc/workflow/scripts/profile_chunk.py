"""Profile one chunk of a sample's raw reads (a sample not split is one chunk: its files,
both files of a pair read in lockstep) into chunks/{sample}/profile_{chunk}.json."""

import time

from fastq_qc_support import chunk_first_record, input_error, profile_document, write_json
from workflows.common.paired_reads import profile_pair
from workflows.common.qc_metrics import profile_file
from workflows.common.rule_logging import logging_to
from workflows.common.sequence_files import SequenceFileError


def main(snakemake):
    params = snakemake.params
    files, reads = list(params.files), list(params.reads)
    chunk = int(snakemake.wildcards.chunk)
    with logging_to(snakemake.log[0]) as logger:
        first_record = chunk_first_record(files, reads, chunk)
        logger.info("profiling %s (sample %s, from record %d)", " and ".join(files), snakemake.wildcards.sample,
                    first_record + 1)
        started = time.perf_counter()
        block_bytes = params.chunk_mb << 20
        try:
            if files == reads and len(files) == 2:
                profiles = profile_pair(*files, params.quality_offset, params.max_read_length, block_bytes)
            else:
                profiles = [profile_file(file, params.quality_offset, params.max_read_length, block_bytes)
                            for file in files]
        except SequenceFileError as error:
            raise input_error(error, files, reads, first_record) from None
        for path, profile in zip(files, profiles):
            logger.info("%s: %d reads, %d bases", path, profile.reads, profile.bases)
        logger.info("profiled in %.2f s", time.perf_counter() - started)
        write_json(snakemake.output[0], profile_document(snakemake.wildcards.sample, chunk, profiles))


main(snakemake)  # noqa: F821 (Snakemake defines it)
