"""The FASTQ validator against the naive reference in tests/naive.py and the Cock et al.
2010 conformance suite (peer data)."""

from __future__ import annotations

import csv
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.fastq_validate import (
    FastqValidationError,
    validate_fastq_blocks,
    validate_fastq_buffer,
)
from tests.naive import NaiveFastqDefect, naive_validate_fastq

SEQUENCE_ALPHABET = b"ACGTNacgtnRYKM.-"
CONTROL_CHARACTERS = [b"\t", b"\x0b", b"\x00", b"\x7f", b" ", b"\r", b"\x1f", b"\x1b"]
TITLE_PATTERN = re.compile(rb"\A[A-Za-z0-9:_ /.-]{0,20}\Z")


@st.composite
def fastq_records(draw, wrap=True):
    """One valid record as a list of lines (without line ends)."""
    length = draw(st.integers(0, 60))
    raw_sequence = draw(st.binary(min_size=length, max_size=length))
    raw_qualities = draw(st.binary(min_size=length, max_size=length))
    sequence = bytes(SEQUENCE_ALPHABET[b % len(SEQUENCE_ALPHABET)] for b in raw_sequence)
    qualities = bytes(33 + b % 94 for b in raw_qualities)  # '@' and '+' included
    title = draw(st.from_regex(TITLE_PATTERN))
    width = draw(st.integers(1, 70)) if wrap and draw(st.booleans()) else max(length, 1)
    separator = b"+" + draw(st.sampled_from([b"", title]))
    return [b"@" + title, *_wrapped(sequence, width), separator, *_wrapped(qualities, width)]


def _wrapped(text: bytes, width: int) -> list[bytes]:
    return [text[start : start + width] for start in range(0, len(text), width)] or [b""]


def joined(records: list[list[bytes]], line_end: bytes = b"\n") -> bytes:
    return b"".join(line + line_end for record in records for line in record)


def outcome(validate, data: bytes):
    """(records, None, None) for valid data, else (record, line, defect)."""
    try:
        count = validate(data)
    except (FastqValidationError, NaiveFastqDefect) as error:
        return error.record, error.line, error.defect
    return count, None, None


def kernel_outcome(data: bytes):
    return outcome(lambda d: validate_fastq_buffer(d).records, data)


def naive_outcome(data: bytes):
    return outcome(naive_validate_fastq, data)


@settings(max_examples=200, deadline=None)
@given(st.lists(fastq_records(), max_size=8), st.sampled_from([b"\n", b"\r\n"]), st.booleans())
def test_valid_records_are_accepted_and_counted(records, line_end, final_newline):
    data = joined(records, line_end)
    # Without its newline an empty last quality line would not be there at all.
    if not final_newline and data and records[-1][-1]:
        data = data[: -len(line_end)]
    assert kernel_outcome(data) == naive_outcome(data) == (len(records), None, None)


def _mutate(records, number, kind, draw):
    """Give record `number` (0-based) one defect; return (data, defects it may raise)."""
    record = [bytearray(line) for line in records[number]]
    separator = next(i for i, line in enumerate(record) if i > 0 and line.startswith(b"+"))
    sequence_length = sum(len(line) for line in record[1:separator])
    if kind == "title_mismatch":
        record[separator][1:] = bytes(record[0][1:]) + b"x"
        expected = {"title_mismatch"}
    elif kind == "short_quality":
        if sequence_length == 0:
            return None
        record[-1] = record[-1][:-1] if record[-1] else record[-1]
        if not record[-1]:
            record.pop()
        expected = {"short_quality", "truncated", "missing_quality", "bad_quality_character", "long_quality"}
    elif kind == "long_quality":
        record[-1] += b"I"
        expected = {"long_quality"}
    elif kind == "doubled_quality":
        record.append(bytearray(b"I" * max(sequence_length, 1)))
        expected = {"long_quality"}
    elif kind == "doubled_sequence":
        record[1:1] = [bytearray(line) for line in record[:separator]]
        expected = {"doubled_sequence"}
    elif kind in ("sequence_control", "quality_control"):
        if sequence_length == 0:
            return None
        lines = range(1, separator) if kind == "sequence_control" else range(separator + 1, len(record))
        line = draw(st.sampled_from([i for i in lines if record[i]]))
        column = draw(st.integers(0, len(record[line]) - 1))
        control = draw(st.sampled_from(CONTROL_CHARACTERS))
        if control == b"\r" and column == len(record[line]) - 1:
            control = b"\t"  # a '\r' last on a line is part of a Windows line end
        record[line][column : column + 1] = control
        expected = {kind.replace("_control", "_character").replace("sequence", "bad_sequence").replace("quality", "bad_quality")}
    elif kind == "missing_at_sign":
        record[0][0:1] = b">"
        # After a complete record, a line without '@' is more quality of that record.
        expected = {"missing_at_sign"} if number == 0 else {"long_quality"}
    mutated = [*records[:number], [bytes(line) for line in record], *records[number + 1 :]]
    return joined(mutated), expected


MUTATIONS = [
    "title_mismatch",
    "short_quality",
    "long_quality",
    "doubled_quality",
    "doubled_sequence",
    "sequence_control",
    "quality_control",
    "missing_at_sign",
]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_single_defects_are_rejected_like_the_naive_validator(data):
    records = data.draw(st.lists(fastq_records(), min_size=1, max_size=5))
    number = data.draw(st.integers(0, len(records) - 1))
    kind = data.draw(st.sampled_from(MUTATIONS))
    mutated = _mutate(records, number, kind, data.draw)
    if mutated is None:
        return
    buffer, expected = mutated
    kernel = kernel_outcome(buffer)
    assert kernel == naive_outcome(buffer)
    record, _, defect = kernel
    assert defect in expected
    # A short quality may only show in the record after it, whose title it swallows.
    if kind == "missing_at_sign" and number > 0:
        assert record == number
    else:
        assert record == number + 1 or (kind == "short_quality" and record == number + 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(fastq_records(), min_size=1, max_size=5), st.data())
def test_truncation_is_rejected_like_the_naive_validator(records, data):
    buffer = joined(records)
    cut = data.draw(st.integers(0, len(buffer)))
    truncated = buffer[:cut]
    kernel = kernel_outcome(truncated)
    assert kernel == naive_outcome(truncated)
    if kernel[1] is not None:
        assert kernel[2] in ("truncated", "missing_quality", "short_quality")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80).map(lambda raw: bytes(b"@+\n\rAI\t "[b % 8] for b in raw)))
def test_arbitrary_bytes_are_judged_like_the_naive_validator(buffer):
    assert kernel_outcome(buffer) == naive_outcome(buffer)


@settings(max_examples=60, deadline=None)
@given(st.lists(fastq_records(), max_size=4), st.sampled_from(MUTATIONS + ["none"]), st.data())
def test_chunked_validation_equals_whole_buffer_validation(records, kind, data):
    buffer = joined(records)
    if kind != "none" and records:
        mutated = _mutate(records, data.draw(st.integers(0, len(records) - 1)), kind, data.draw)
        buffer = mutated[0] if mutated else buffer
    whole = kernel_outcome(buffer)
    for split in range(len(buffer) + 1):
        assert outcome(validate_fastq_blocks, [buffer[:split], buffer[split:]]) == whole, split


def test_chunked_validation_in_small_blocks_keeps_numbers():
    record = b"@r\nACGT\n+\nIIII\n"
    buffer = record * 5 + b"@r\nAC\tT\n+\nIIII\n"
    blocks = [buffer[start : start + 3] for start in range(0, len(buffer), 3)]
    with pytest.raises(FastqValidationError) as caught:
        validate_fastq_blocks(blocks)
    assert (caught.value.record, caught.value.line, caught.value.defect) == (6, 22, "bad_sequence_character")
    assert str(caught.value) == "record 6 (line 22): sequence has byte 0x09 at column 3"


def test_non_final_buffer_carries_the_last_record():
    record = b"@r\nACGT\n+\nIIII\n"
    # The '@' after the third record shows that its quality ended.
    result = validate_fastq_buffer(record * 3 + b"@r\nAC", final=False, records_before=10, lines_before=40)
    assert (result.records, result.lines, result.consumed) == (13, 52, 3 * len(record))
    # Nothing after the third record yet: a doubled quality line could still follow.
    result = validate_fastq_buffer(record * 3, final=False, records_before=10, lines_before=40)
    assert (result.records, result.lines, result.consumed) == (12, 48, 2 * len(record))


@pytest.mark.parametrize(
    ("buffer", "expected"),
    [
        (b"", (0, None, None)),
        (b"@\n\n+\n\n", (1, None, None)),
        (b"@r\nACGT\n+\nIIII\n\n\r\n", (1, None, None)),
        (b"@r\nACGT\n+\nIIII", (1, None, None)),
        (b"@r\nACGT\n+\nIIII\n\n@s\nA\n+\nI\n", (2, 5, "blank_line")),
        (b"@r\nACGT\n+\nII\n@second\nA\n+\nI\n", (1, 4, "short_quality")),
        (b"@r\nACGT\n+\n@second\nA\n+\nI\n", (1, 4, "missing_quality")),
        (b"@r\nACGT\n+\n", (1, 3, "missing_quality")),
        (b"@r\n+\n\n", (1, 2, "missing_sequence")),
        (b"@r\nACGT\n+r\nII\n@I\n", (1, 5, None)),
        (b"@r\nAC\nGT\n+r\n@I\nII\n", (1, None, None)),
        (b"@r\nACGT\n+r\nIIII\nIIII\n", (1, 5, "long_quality")),
        (b"ACGT\n", (1, 1, "missing_at_sign")),
        (b"@r\nAC\rGT\n+\nIIIII\n", (1, 2, "bad_sequence_character")),
    ],
)
def test_edge_cases(buffer, expected):
    kernel = kernel_outcome(buffer)
    assert kernel == naive_outcome(buffer)
    if expected[1] is not None or expected[2] is not None:
        assert kernel[0] == expected[0] and kernel[2] == expected[2]
    else:
        assert kernel == expected


def _suite_rows(peer_data):
    suite = peer_data / "fastq_suite"
    with (suite / "MANIFEST.tsv").open(newline="") as manifest:
        rows = [row for row in csv.DictReader(manifest, delimiter="\t") if row["file"].endswith(".fastq")]
    return suite, rows


@pytest.mark.peer
def test_suite_valid_files_are_accepted_with_their_record_counts(peer_data):
    suite, rows = _suite_rows(peer_data)
    valid = [row for row in rows if row["status"] == "valid"]
    assert len(valid) >= 36
    for row in valid:
        data = (suite / row["file"]).read_bytes()
        stated = re.match(r"(\d+) records?", row["expected_behaviour"]) or re.search(
            r"(\d+) (?:real |long |\(\d+-\d+ bp\) )*\S*\s*records?", row["description"]
        )
        expected = naive_validate_fastq(data)
        if stated:
            assert int(stated.group(1)) == expected, row["file"]
        result = validate_fastq_buffer(data)
        assert (result.records, result.consumed) == (expected, len(data)), row["file"]
        assert validate_fastq_blocks(data[start : start + 7] for start in range(0, len(data), 7)) == expected


@pytest.mark.peer
def test_suite_invalid_files_are_rejected_at_the_manifest_record(peer_data):
    suite, rows = _suite_rows(peer_data)
    invalid = [row for row in rows if row["status"] == "invalid"]
    assert len(invalid) >= 11
    for row in invalid:
        good = int(re.search(r"(\d+) good record", row["expected_behaviour"]).group(1))
        data = (suite / row["file"]).read_bytes()
        with pytest.raises(FastqValidationError) as caught:
            validate_fastq_buffer(data)
        assert caught.value.record == good + 1, (row["file"], str(caught.value))
        assert naive_outcome(data) == (caught.value.record, caught.value.line, caught.value.defect)
