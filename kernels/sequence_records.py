"""Records of FASTQ and FASTA buffers, as cutadapt's reader (dnaio 0.10) sees them, and
the bytes of records written back.

A parsed block is described by offset arrays, one entry per record: the name (the
title line without '@' or '>'), the sequence, and for FASTQ the qualities. Kernels
that trim reads only move a (start, stop) window inside the sequence;
`kernels.record_assembly` writes the windows back out.

FASTQ (4 lines per record, `kernels.fastq_records._record_bounds`): a trailing '\r' is
dropped from every line; the '+' line is either bare or repeats the title; any byte
outside ASCII is refused. FASTA: lines end at '\n' or '\r' (universal newlines); each
line is stripped of ASCII whitespace at both ends; blank lines and lines starting with
'#' are skipped anywhere; a record starts at a line beginning with '>' and its
sequence is the concatenation of its following lines, so the kernel copies names and
sequences into a compact buffer. Text before the first record is an error.

Chunked use: with `final=False` the last record may be incomplete (FASTQ) or may
continue in the next block (FASTA: always the last one), so parsing stops before it and
reports how many bytes were consumed.

Read pairs: two names belong together when their IDs (up to the first space or tab)
are equal, or are equal except for a last character that is '1', '2' or '3' in both,
as in dnaio's `record_names_match` (read/1 and read/2, SRA's .1 and .2).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kernels.fastq_records import (
    AT_SIGN,
    FIRST_KERNEL_STATUS,
    PLUS_SIGN,
    RECORD_OK,
    STATUS_MESSAGES,
    TRUNCATED_RECORD,
    _line_end,
    _newline_free,
    _record_bounds,
    _text_end,
)
from kernels.fastq_validate import DEFECTS, TITLE_MISMATCH as VALIDATION_TITLE_MISMATCH
from kernels.jit import kernel

TITLE_MISMATCH = FIRST_KERNEL_STATUS
NON_ASCII_BYTE = FIRST_KERNEL_STATUS + 1
TEXT_BEFORE_FIRST_RECORD = FIRST_KERNEL_STATUS + 2

GREATER_THAN = 62
HASH = 35
SPACE = 32
TAB = 9
NEWLINE = 10
CARRIAGE_RETURN = 13
DIGIT_ONE = 49
DIGIT_THREE = 51
FASTQ_DEFECTS = {TITLE_MISMATCH: DEFECTS[VALIDATION_TITLE_MISMATCH][1]}


@kernel
def _first_non_ascii(buffer, start, stop):
    """Offset of the first byte >= 128 in buffer[start:stop], or -1."""
    part = buffer[start:stop]  # a slice and a narrow accumulator: the loop vectorises
    seen = np.uint8(0)
    for index in range(part.size):
        seen |= part[index]
    if seen < 128:
        return -1
    for offset in range(start, stop):
        if buffer[offset] >= 128:
            return offset
    return -1


@kernel
def _fastq_record(buffer, start):
    """`fastq_records._record_bounds`, faster for the usual record: the quality line is
    expected where the sequence length puts it and only checked, not searched; any other
    record goes through `_record_bounds`, which also names its defect."""
    size = buffer.size
    if buffer[start] == AT_SIGN:
        title_end_of_line = _line_end(buffer, start)
        s_start = title_end_of_line + 1
        s_line_end = _line_end(buffer, s_start) if s_start < size else size
        if s_line_end + 1 < size and buffer[s_line_end + 1] == PLUS_SIGN:
            s_end = _text_end(buffer, s_start, s_line_end)
            q_start = _line_end(buffer, s_line_end + 1) + 1
            q_end = q_start + (s_end - s_start)
            if q_end < size and _newline_free(buffer, q_start, q_end):
                if buffer[q_end] == NEWLINE and (q_end == q_start or buffer[q_end - 1] != CARRIAGE_RETURN):
                    return RECORD_OK, s_start, s_end, q_start, q_end, q_end + 1
                if buffer[q_end] == CARRIAGE_RETURN and q_end + 1 < size and buffer[q_end + 1] == NEWLINE:
                    return RECORD_OK, s_start, s_end, q_start, q_end, q_end + 2
    return _record_bounds(buffer, start)


@kernel
def _parse_fastq(buffer, final, name_start, name_end, sequence_start, sequence_end, quality_start):
    """Fill the offset arrays; return (status, records, consumed, detail).

    On a defect, `records` counts the good records before it and `detail` is the byte
    value (NON_ASCII_BYTE) or 0.
    """
    size = buffer.size
    position = 0
    count = 0
    status = RECORD_OK
    while position < size and count < name_start.size:
        status, s_start, s_end, q_start, q_end, next_start = _fastq_record(buffer, position)
        if status != RECORD_OK:
            break
        title_end = _text_end(buffer, position + 1, s_start - 1)
        plus_start = s_end + 1 + (buffer[s_end] == CARRIAGE_RETURN)  # past the sequence line's end
        plus_end = _text_end(buffer, plus_start, q_start - 1)
        repeated = plus_end - plus_start - 1
        if repeated > 0:
            same = repeated == title_end - position - 1
            offset = 0
            while same and offset < repeated:
                same = buffer[plus_start + 1 + offset] == buffer[position + 1 + offset]
                offset += 1
            if not same:
                status = TITLE_MISMATCH
                break
        name_start[count] = position + 1
        name_end[count] = title_end
        sequence_start[count] = s_start
        sequence_end[count] = s_end
        quality_start[count] = q_start
        count += 1
        position = next_start
    # Bytes are checked in one pass over the good records; an earlier defect wins.
    bad = _first_non_ascii(buffer, 0, position)
    if bad >= 0:
        record = np.searchsorted(name_start[:count], bad, side="right") - 1
        return NON_ASCII_BYTE, record, name_start[record] - 1, buffer[bad]
    if status == TRUNCATED_RECORD and not final:
        status = RECORD_OK
    return status, count, position, 0


@kernel
def _count_byte(buffer, value):
    count = 0
    for offset in range(buffer.size):
        count += buffer[offset] == value
    return count


@kernel
def _is_space(byte):
    return byte == SPACE or 9 <= byte <= 13 or 28 <= byte <= 31


@kernel
def _parse_fasta(buffer, final, out, name_start, name_end, sequence_start, sequence_end):
    """Copy names and joined sequences into `out` and fill the offset arrays.

    Returns (status, records, consumed, out_used, defect_line) where `defect_line` is
    the 0-based number of the offending line within the buffer ('\n'-counted).
    """
    size = buffer.size
    count = 0
    used = 0
    in_record = False
    record_begin = 0  # where the record being read starts in `buffer`
    record_out = 0  # ... and in `out`
    consumed = 0
    line = 0
    position = 0
    while position < size:
        line_stop = position
        while line_stop < size and buffer[line_stop] != NEWLINE and buffer[line_stop] != CARRIAGE_RETURN:
            line_stop += 1
        if line_stop == size and not final:
            break
        first, last = position, line_stop
        while first < last and _is_space(buffer[first]):
            first += 1
        while last > first and _is_space(buffer[last - 1]):
            last -= 1
        bad = _first_non_ascii(buffer, first, last)
        if bad >= 0:
            return NON_ASCII_BYTE, count, consumed, used, line
        if first < last and buffer[first] == GREATER_THAN:
            if in_record:
                sequence_end[count] = used
                count += 1
                if count == name_start.size:
                    return RECORD_OK, count, position, used, line
            in_record = True
            record_begin, record_out = position, used
            name_start[count] = used
            for offset in range(first + 1, last):
                out[used] = buffer[offset]
                used += 1
            name_end[count] = used
            sequence_start[count] = used
        elif first < last and buffer[first] != HASH:
            if not in_record:
                return TEXT_BEFORE_FIRST_RECORD, count, consumed, used, line
            for offset in range(first, last):
                out[used] = buffer[offset]
                used += 1
        if line_stop < size and buffer[line_stop] == NEWLINE:
            line += 1
        position = line_stop + 1
        if not in_record:
            consumed = min(position, size)
    if in_record:
        if final:
            sequence_end[count] = used
            count += 1
            return RECORD_OK, count, size, used, line
        return RECORD_OK, count, record_begin, record_out, line
    return RECORD_OK, count, size if final else consumed, used, line


@kernel
def _ids_match(buffer1, start1, end1, buffer2, start2, end2):
    id_length = 0
    while start2 + id_length < end2 and buffer2[start2 + id_length] != SPACE and buffer2[start2 + id_length] != TAB:
        id_length += 1
    if end1 - start1 < id_length:
        return False
    if start1 + id_length < end1:
        after = buffer1[start1 + id_length]
        if after != SPACE and after != TAB:
            return False
    compared = id_length
    if id_length > 0:
        last1 = buffer1[start1 + id_length - 1]
        last2 = buffer2[start2 + id_length - 1]
        if DIGIT_ONE <= last1 <= DIGIT_THREE and DIGIT_ONE <= last2 <= DIGIT_THREE:
            compared -= 1
    for offset in range(compared):
        if buffer1[start1 + offset] != buffer2[start2 + offset]:
            return False
    return True


@kernel
def _first_unpaired(buffer1, name_start1, name_end1, buffer2, name_start2, name_end2):
    for record in range(name_start1.size):
        if not _ids_match(buffer1, name_start1[record], name_end1[record], buffer2, name_start2[record],
                          name_end2[record]):
            return record
    return -1


class RecordFormatError(ValueError):
    """A defect in a FASTQ or FASTA buffer; `record` is 1-based over the whole input."""

    def __init__(self, message: str, record: int, line: int | None = None):
        self.record = record
        self.line = line
        where = f"record {record}" + (f" (line {line})" if line is not None else "")
        super().__init__(f"{where}: {message}")


class ParsedRecords(NamedTuple):
    """Offsets of the complete records at the start of a buffer.

    Names and sequences are in `buffer` (for FASTA a compact copy, not the input);
    `quality_start` is meaningful for FASTQ only. `consumed` input bytes were used:
    the rest starts the next block.
    """

    buffer: np.ndarray
    name_start: np.ndarray
    name_end: np.ndarray
    sequence_start: np.ndarray
    sequence_end: np.ndarray
    quality_start: np.ndarray
    consumed: int


def _offset_arrays(capacity: int) -> list[np.ndarray]:
    return [np.empty(capacity, dtype=np.int64) for _ in range(5)]


def parse_fastq(buffer: np.ndarray, final: bool, records_before: int = 0,
                expected: int | None = None) -> ParsedRecords:
    """Parse the FASTQ records of `buffer` (a uint8 array starting at a record).

    With `final`, the buffer must end with a newline (see `fastq_records.terminated`).
    `expected` (records known to be complete, as from `fastq_cut`) saves a count.
    Raises RecordFormatError naming the record and its first line.
    """
    capacity = (int(_count_byte(buffer, NEWLINE)) // 4 if expected is None else expected) + 1
    arrays = _offset_arrays(capacity)
    status, count, consumed, detail = _parse_fastq(buffer, final, *arrays)
    if status != RECORD_OK:
        record = records_before + int(count) + 1
        if status == NON_ASCII_BYTE:
            message = f"byte 0x{int(detail):02x} is not ASCII"
        elif status == TITLE_MISMATCH:
            message = FASTQ_DEFECTS[TITLE_MISMATCH]
        else:
            message = STATUS_MESSAGES[int(status)]
        raise RecordFormatError(message, record, 4 * (record - 1) + 1)
    return ParsedRecords(buffer, *(array[:count] for array in arrays), int(consumed))


def parse_fasta(buffer: np.ndarray, final: bool, records_before: int = 0, lines_before: int = 0) -> ParsedRecords:
    """Parse the FASTA records of `buffer` into a compact copy (see the module docstring).

    `lines_before` only serves error messages. Raises RecordFormatError.
    """
    capacity = int(_count_byte(buffer, GREATER_THAN)) + 1
    arrays = _offset_arrays(capacity)
    out = np.empty(buffer.size, dtype=np.uint8)
    status, count, consumed, used, line = _parse_fasta(buffer, final, out, *arrays[:4])
    if status != RECORD_OK:
        message = ("a line before the first record does not start with '>'" if status == TEXT_BEFORE_FIRST_RECORD
                   else "a line holds a byte that is not ASCII")
        raise RecordFormatError(message, records_before + int(count) + 1, lines_before + int(line) + 1)
    name_start, name_end, sequence_start, sequence_end, _ = (array[:count] for array in arrays)
    return ParsedRecords(out[:used], name_start, name_end, sequence_start, sequence_end, sequence_start,
                         int(consumed))


def first_unpaired(records1: ParsedRecords, records2: ParsedRecords) -> int:
    """Index of the first record whose names do not pair up (module docstring), or -1."""
    if records1.name_start.size != records2.name_start.size:
        raise ValueError("both sides must hold the same number of records")
    return int(_first_unpaired(records1.buffer, records1.name_start, records1.name_end,
                               records2.buffer, records2.name_start, records2.name_end))


@kernel
def _fastq_cut(buffer, max_records):
    """(records, end): how many complete 4-line records buffer[:end] holds, at most
    `max_records`. Only newlines are counted; the parser finds malformed records."""
    newlines = _count_byte(buffer, NEWLINE)
    records = min(newlines // 4, max_records)
    wanted = 4 * records
    if wanted == 0:
        return 0, 0
    if records == newlines // 4:  # walk back over the newlines of the incomplete tail
        extra = newlines - wanted
        offset = buffer.size - 1
        while True:
            if buffer[offset] == NEWLINE:
                if extra == 0:
                    return records, offset + 1
                extra -= 1
            offset -= 1
    seen = 0
    for offset in range(buffer.size):
        if buffer[offset] == NEWLINE:
            seen += 1
            if seen == wanted:
                return records, offset + 1
    return records, buffer.size


def fastq_cut(buffer: np.ndarray, max_records: int = 1 << 62) -> tuple[int, int]:
    """(records, end) of the complete 4-line records at the start of `buffer`, at most
    `max_records`: buffer[:end] can be parsed on its own, buffer[end:] starts the rest."""
    records, end = _fastq_cut(buffer, max_records)
    return int(records), int(end)
