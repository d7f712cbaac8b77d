"""Profile one sample's FASTQ file (plain or gzip) into results/samples/{sample}.profile.json."""

import json
import time

from fastq_qc_support import InputError, logging_to

from kernels.fastq_profile import profile_fastq_blocks
from kernels.fastq_records import FastqFormatError
from workflows.common.sequence_files import SequenceFileError, read_blocks


def main(snakemake):
    params = snakemake.params
    with logging_to(snakemake.log[0]) as logger:
        reads_path = snakemake.input[0]
        logger.info("profiling %s as sample %s", reads_path, snakemake.wildcards.sample)
        started = time.perf_counter()
        try:
            profile = profile_fastq_blocks(
                read_blocks(reads_path, params.chunk_mb << 20),
                quality_offset=params.quality_offset,
                max_read_length=params.max_read_length,
            )
        except FastqFormatError as error:
            # The kernel knows the record; only here is the file known.
            raise InputError(f"{reads_path}: {error}") from None
        except SequenceFileError as error:
            raise InputError(str(error)) from None
        seconds = time.perf_counter() - started
        logger.info("%d reads, %d bases in %.2f s", profile.reads, profile.bases, seconds)
        document = {
            "sample": snakemake.wildcards.sample,
            "reads_file": reads_path,
            "params": {
                "quality_offset": params.quality_offset,
                "max_read_length": params.max_read_length,
            },
            "profile": profile.to_dict(),
        }
        with open(snakemake.output[0], "w", encoding="utf-8") as output:
            json.dump(document, output, indent=1)
            output.write("\n")


main(snakemake)  # noqa: F821 (Snakemake defines it)
