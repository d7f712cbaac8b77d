"""Profile one chunk of a sample's raw reads (a sample not split is one chunk: its files,
both files of a pair read in lockstep) into chunks/{sample}/profile_{chunk}.json."""

import time

from fastq_qc_support import chunk_first_record, profile_document, write_json
from workflows.common.fastq_chunks import renumbered
from workflows.common.paired_reads import profile_pair
from workflows.common.qc_metrics import profile_file
from workflows.common.rule_logging import InputError, logging_to
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
                profiles = []
                for file, original in zip(files, reads):
                    try:
                        profiles.append(profile_file(file, params.quality_offset, params.max_read_length, block_bytes))
                    except SequenceFileError as error:
                        raise renumbered(error, original, first_record) if file != original else error from None
        except SequenceFileError as error:
            raise InputError(str(error)) from None
        for path, profile in zip(files, profiles):
            logger.info("%s: %d reads, %d bases", path, profile.reads, profile.bases)
        logger.info("profiled in %.2f s", time.perf_counter() - started)
        write_json(snakemake.output[0], profile_document(snakemake.wildcards.sample, chunk, profiles))


main(snakemake)  # noqa: F821 (Snakemake defines it)
