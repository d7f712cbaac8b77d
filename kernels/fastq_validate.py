"""Validating FASTQ as Cock et al. 2010 (NAR 38:1767) define it.

A record is

    @title\n  sequence line(s)\n  +[title again]\n  quality line(s)\n

- The sequence may be wrapped over several lines; it ends at the first line that starts
  with '+'. There is at least one sequence line (it may be empty: an empty read). A line
  starting with '@' there is a second title, as when a record's first lines are doubled.
- The '+' line either holds nothing more or repeats the title exactly.
- Quality lines follow until they hold as many characters as the sequence (at least one
  line, so an empty read has an empty quality line). A quality line may start with '@';
  one that starts with '@' and would make the quality too long is the next record's
  title, so the quality before it is short.
- Sequence and quality characters are printable ASCII without space ('!' to '~'):
  whitespace and control characters (tab, vertical tab, NUL, DEL, ...) are defects.
- '\r\n' ends a line like '\n', so Windows files validate (the suite's example_dos.fastq
  is valid); a '\r' anywhere else in a sequence or quality is a control character.
- The last line may lack its '\n'. Blank lines are allowed only at the end of the input.

Record numbers are 1-based, the number of good records before the defect plus one, as
the suite's MANIFEST.tsv counts them; lines are 1-based over the whole input.

Chunked use: with `final=False` a record that the buffer may not hold in full is not an
error; the result says where the complete records end, and the caller passes the rest,
followed by more data, to the next call with `records_before` and `lines_before` from
this result. The last record is always carried over, because only the line after it
shows whether its quality is complete (a doubled quality line would be missed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from kernels.fastq_records import _line_end, _text_end, as_uint8_array
from kernels.jit import kernel

NEWLINE = 10
CARRIAGE_RETURN = 13
AT_SIGN = 64
PLUS_SIGN = 43
LOWEST_CHARACTER = 33  # '!'
HIGHEST_CHARACTER = 126  # '~'

VALID = 0
MISSING_AT_SIGN = 1
TRUNCATED_IN_TITLE = 2
MISSING_SEQUENCE = 3
DOUBLED_SEQUENCE = 4
BAD_SEQUENCE_CHARACTER = 5
TRUNCATED_BEFORE_PLUS = 6
TRUNCATED_IN_PLUS = 7
TITLE_MISMATCH = 8
MISSING_QUALITY = 9
BAD_QUALITY_CHARACTER = 10
SHORT_QUALITY = 11
LONG_QUALITY = 12
TRUNCATED_IN_QUALITY = 13
BLANK_LINE = 14

# code: (defect name, message template); {a} and {b} are the kernel's two details.
DEFECTS = {
    MISSING_AT_SIGN: ("missing_at_sign", "record does not start with '@'"),
    TRUNCATED_IN_TITLE: ("truncated", "input ends inside the title line"),
    MISSING_SEQUENCE: ("missing_sequence", "no sequence line before the '+' line"),
    DOUBLED_SEQUENCE: ("doubled_sequence", "a second '@' title line before the '+' line"),
    BAD_SEQUENCE_CHARACTER: ("bad_sequence_character", "sequence has byte 0x{b:02x} at column {a}"),
    TRUNCATED_BEFORE_PLUS: ("truncated", "input ends before the '+' line"),
    TRUNCATED_IN_PLUS: ("truncated", "input ends inside the '+' line"),
    TITLE_MISMATCH: ("title_mismatch", "'+' line repeats a different title than the '@' line"),
    MISSING_QUALITY: ("missing_quality", "no quality line after the '+' line"),
    BAD_QUALITY_CHARACTER: ("bad_quality_character", "quality has byte 0x{b:02x} at column {a}"),
    SHORT_QUALITY: ("short_quality", "quality is shorter than the sequence ({a} < {b})"),
    LONG_QUALITY: ("long_quality", "quality is longer than the sequence ({a} > {b})"),
    TRUNCATED_IN_QUALITY: ("truncated", "input ends inside the quality ({a} < {b})"),
    BLANK_LINE: ("blank_line", "blank line before the end of the input"),
}


class FastqValidationError(ValueError):
    """Input that is not FASTQ; `record` and `line` are 1-based over the whole input.

    `defect` names the kind of fault (`DEFECTS`); faults that mean the input stops
    early are all named "truncated". `FastqFormatError` does not fit: it assumes
    4-line records, so its line number would be wrong for wrapped ones.
    """

    def __init__(self, record: int, line: int, defect: str, message: str):
        self.record = record
        self.line = line
        self.defect = defect
        super().__init__(f"record {record} (line {line}): {message}")


@dataclass(frozen=True)
class ValidationResult:
    """Totals over the input so far, `records_before`/`lines_before` included.

    `consumed` is the offset in this buffer just past the last complete record;
    `records` and `lines` count up to there. With `final=True` it is the buffer size.
    """

    records: int
    lines: int
    consumed: int


def validate_fastq_buffer(
    data: bytes | bytearray | memoryview | np.ndarray,
    *,
    final: bool = True,
    records_before: int = 0,
    lines_before: int = 0,
) -> ValidationResult:
    """Check that `data` (starting at a record boundary) is FASTQ; raise at the first defect.

    With `final=False`, `data` is a block of a longer input: an incomplete last record
    is carried over (see the module docstring), so `data[result.consumed:]` must start
    the next call's buffer. Raises `FastqValidationError`.
    """
    if records_before < 0 or lines_before < 0:
        raise ValueError("records_before and lines_before must not be negative")
    status, records, lines, consumed, line, detail_a, detail_b = _validate_fastq(
        as_uint8_array(data), final, records_before, lines_before
    )
    if status != VALID:
        defect, template = DEFECTS[status]
        raise FastqValidationError(records + 1, line, defect, template.format(a=detail_a, b=detail_b))
    return ValidationResult(int(records), int(lines), int(consumed))


def validate_fastq_blocks(blocks: Iterable[bytes]) -> int:
    """Validate an input given as consecutive blocks; return its number of records."""
    pending = b""
    records = lines = 0
    for block in blocks:
        pending += block
        result = validate_fastq_buffer(pending, final=False, records_before=records, lines_before=lines)
        records, lines, pending = result.records, result.lines, pending[result.consumed :]
    return validate_fastq_buffer(pending, records_before=records, lines_before=lines).records


@kernel
def _is_blank_line(buffer, start, final):
    """1 if the line at `start` is blank, 0 if not, -1 if the buffer cannot tell yet."""
    if buffer[start] == NEWLINE:
        return 1
    if buffer[start] != CARRIAGE_RETURN:
        return 0
    if start + 1 < buffer.size:
        return 1 if buffer[start + 1] == NEWLINE else 0
    return 1 if final else -1


@kernel
def _first_bad_character(buffer, start, end):
    """Offset of the first byte outside '!'..'~' in buffer[start:end], or -1."""
    for offset in range(start, end):
        character = buffer[offset]
        if character < LOWEST_CHARACTER or character > HIGHEST_CHARACTER:
            return offset
    return -1


@kernel
def _validate_fastq(buffer, final, records, lines):
    """Walk the records of `buffer`.

    Returns (status, records, lines, consumed, defect_line, detail_a, detail_b). On a
    defect, `records` counts the good records before it; otherwise `records`, `lines`
    and `consumed` describe the complete records (all of them when `final`).
    """
    size = buffer.size
    position = 0
    while True:
        record_start = position
        record_lines = lines
        if position >= size:
            return VALID, records, lines, position, 0, 0, 0
        if buffer[position] != AT_SIGN:
            blank = _is_blank_line(buffer, position, final)
            if blank == 0:
                return MISSING_AT_SIGN, records, lines, record_start, lines + 1, 0, 0
            if blank < 0:
                return VALID, records, record_lines, record_start, 0, 0, 0
            # Blank lines are allowed only if nothing else follows them.
            offset = position
            blank_lines = 0
            while offset < size:
                blank = _is_blank_line(buffer, offset, final)
                if blank == 0:
                    return BLANK_LINE, records, lines, record_start, lines + 1, 0, 0
                if blank < 0:
                    break
                offset = _line_end(buffer, offset) + 1
                blank_lines += 1
            if not final:
                return VALID, records, record_lines, record_start, 0, 0, 0
            return VALID, records, lines + blank_lines, size, 0, 0, 0

        # Title line.
        title_end_of_line = _line_end(buffer, position)
        if title_end_of_line >= size:
            if not final:
                return VALID, records, record_lines, record_start, 0, 0, 0
            return TRUNCATED_IN_TITLE, records, lines, record_start, lines + 1, 0, 0
        title_start = position + 1
        title_end = _text_end(buffer, position, title_end_of_line)
        lines += 1
        position = title_end_of_line + 1

        # Sequence lines, up to the '+' line.
        sequence_length = 0
        sequence_lines = 0
        while True:
            if position >= size:
                if not final:
                    return VALID, records, record_lines, record_start, 0, 0, 0
                return TRUNCATED_BEFORE_PLUS, records, lines, record_start, lines, 0, 0
            end_of_line = _line_end(buffer, position)
            if end_of_line >= size and not final:
                return VALID, records, record_lines, record_start, 0, 0, 0
            if buffer[position] == PLUS_SIGN:
                break
            if buffer[position] == AT_SIGN:
                return DOUBLED_SEQUENCE, records, lines, record_start, lines + 1, 0, 0
            text_end = _text_end(buffer, position, end_of_line)
            bad = _first_bad_character(buffer, position, text_end)
            if bad >= 0:
                return BAD_SEQUENCE_CHARACTER, records, lines, record_start, lines + 1, bad - position + 1, buffer[bad]
            sequence_length += text_end - position
            sequence_lines += 1
            lines += 1
            position = end_of_line + 1

        # The '+' line.
        if end_of_line >= size:
            return TRUNCATED_IN_PLUS, records, lines, record_start, lines + 1, 0, 0
        if sequence_lines == 0:
            return MISSING_SEQUENCE, records, lines, record_start, lines + 1, 0, 0
        plus_end = _text_end(buffer, position, end_of_line)
        repeated_length = plus_end - position - 1
        if repeated_length > 0:
            same = repeated_length == title_end - title_start
            offset = 0
            while same and offset < repeated_length:
                same = buffer[position + 1 + offset] == buffer[title_start + offset]
                offset += 1
            if not same:
                return TITLE_MISMATCH, records, lines, record_start, lines + 1, 0, 0
        lines += 1
        position = end_of_line + 1

        # Quality lines, until they are as long as the sequence.
        quality_length = 0
        quality_lines = 0
        while quality_lines == 0 or quality_length < sequence_length:
            if position >= size:
                if not final:
                    return VALID, records, record_lines, record_start, 0, 0, 0
                if quality_lines == 0:
                    return MISSING_QUALITY, records, lines, record_start, lines, 0, 0
                return TRUNCATED_IN_QUALITY, records, lines, record_start, lines, quality_length, sequence_length
            end_of_line = _line_end(buffer, position)
            if end_of_line >= size and not final:
                return VALID, records, record_lines, record_start, 0, 0, 0
            text_end = _text_end(buffer, position, end_of_line)
            length = text_end - position
            if buffer[position] == AT_SIGN and quality_length + length > sequence_length:
                if quality_lines == 0:
                    return MISSING_QUALITY, records, lines, record_start, lines + 1, 0, 0
                return SHORT_QUALITY, records, lines, record_start, lines, quality_length, sequence_length
            bad = _first_bad_character(buffer, position, text_end)
            if bad >= 0:
                return BAD_QUALITY_CHARACTER, records, lines, record_start, lines + 1, bad - position + 1, buffer[bad]
            if quality_length + length > sequence_length:
                return LONG_QUALITY, records, lines, record_start, lines + 1, quality_length + length, sequence_length
            quality_length += length
            quality_lines += 1
            lines += 1
            position = end_of_line + 1

        # Only the next line shows whether the quality really ended here.
        if position >= size:
            if not final:
                return VALID, records, record_lines, record_start, 0, 0, 0
            return VALID, records + 1, lines, size, 0, 0, 0
        if buffer[position] != AT_SIGN:
            blank = _is_blank_line(buffer, position, final)
            end_of_line = _line_end(buffer, position)
            if blank < 0 or (blank == 0 and end_of_line >= size and not final):
                return VALID, records, record_lines, record_start, 0, 0, 0
            if blank == 0:
                length = _text_end(buffer, position, end_of_line) - position
                return LONG_QUALITY, records, lines, record_start, lines + 1, quality_length + length, sequence_length
        records += 1
