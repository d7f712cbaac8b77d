"""FASTQ files checked against the format (Cock et al. 2010) by the validation kernel.

Apart from :mod:`workflows.common.sequence_files` so that what only sniffs formats (the
job layer: the CLI, the gateway, run drivers) does not load Numba.
"""

from __future__ import annotations

from pathlib import Path

from kernels.fastq_validate import FastqValidationError, validate_fastq_blocks
from workflows.common.sequence_files import BLOCK_BYTES, SequenceFileError, read_blocks


def count_valid_fastq_records(path: Path | str, block_bytes: int = BLOCK_BYTES) -> int:
    """Validate a FASTQ file (Cock et al. 2010) and return its number of records.

    Raises SequenceFileError naming the file, the record, the line and the defect.
    """
    try:
        return validate_fastq_blocks(read_blocks(path, block_bytes))
    except FastqValidationError as error:
        raise SequenceFileError(path, str(error), error.record, error.line) from None
