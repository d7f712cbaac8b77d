"""Writing trimmed records back out as FASTQ or FASTA text, the way cutadapt 4.2 does.

Each record is a window sequence[keep_start:keep_stop] of a parsed buffer
(`kernels.sequence_records`). FASTQ is written as four lines with a bare '+' (the title
is never repeated after '+', whatever the input did); FASTA unwrapped, two lines per
record; every line ends with '\n', whatever the input's line ends were.
"""

from __future__ import annotations

import numpy as np

from kernels.jit import kernel
from kernels.sequence_records import GREATER_THAN, NEWLINE, ParsedRecords

AT_SIGN = 64
PLUS_SIGN = 43


@kernel
def _copy(out, position, source, first, length):
    # A loop over two slices: LLVM makes it a vector copy; a slice assignment costs
    # about twice as much for reads of this size.
    target = out[position : position + length]
    origin = source[first : first + length]
    for index in range(length):
        target[index] = origin[index]


@kernel
def _assemble(buffer, names, name_start, name_end, sequence_start, quality_start, keep_start, keep_stop,
              destination, wanted, fastq):
    """The records routed to `wanted`, each trimmed to its window, as FASTQ or FASTA bytes."""
    total = 0
    for record in range(destination.size):
        if destination[record] == wanted:
            length = keep_stop[record] - keep_start[record]
            total += name_end[record] - name_start[record] + (2 * length + 6 if fastq else length + 3)
    out = np.empty(total, dtype=np.uint8)
    position = 0
    for record in range(destination.size):
        if destination[record] != wanted:
            continue
        out[position] = AT_SIGN if fastq else GREATER_THAN
        position += 1
        name_length = name_end[record] - name_start[record]
        _copy(out, position, names, name_start[record], name_length)
        position += name_length
        out[position] = NEWLINE
        position += 1
        first = sequence_start[record] + keep_start[record]
        length = keep_stop[record] - keep_start[record]
        _copy(out, position, buffer, first, length)
        position += length
        out[position] = NEWLINE
        position += 1
        if fastq:
            out[position] = PLUS_SIGN
            out[position + 1] = NEWLINE
            position += 2
            first = quality_start[record] + keep_start[record]
            _copy(out, position, buffer, first, length)
            position += length
            out[position] = NEWLINE
            position += 1
    return out


def assemble_records(records: ParsedRecords, keep_start: np.ndarray, keep_stop: np.ndarray,
                     destination: np.ndarray, wanted: int, fastq: bool,
                     names: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """FASTQ (or FASTA) text (uint8 array) of the records whose `destination` is `wanted`, each cut
    to sequence[keep_start:keep_stop]. `names` (buffer, starts, ends) replaces the
    records' own names, e.g. after a length tag was rewritten."""
    name_buffer, name_start, name_end = names or (records.buffer, records.name_start, records.name_end)
    return _assemble(records.buffer, name_buffer, name_start, name_end, records.sequence_start,
                     records.quality_start, keep_start, keep_stop, destination, wanted, fastq)
