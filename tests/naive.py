"""Slow, obviously correct references for the kernels; tests compare the two.

Written from the definitions in the kernel docstrings, line by line in plain Python,
without sharing code with the kernels.
"""

from __future__ import annotations

from collections import Counter


def naive_fastq_records(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """Return (header, sequence, qualities) per record; raise ValueError naming the record."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the split after the final newline
    records = []
    for first in range(0, len(lines), 4):
        number = first // 4 + 1
        group = [line.removesuffix(b"\r") for line in lines[first : first + 4]]
        if not group[0].startswith(b"@"):
            raise ValueError(f"record {number}: no '@'")
        if len(group) < 4:
            raise ValueError(f"record {number}: incomplete")
        header, sequence, separator, qualities = group
        if not separator.startswith(b"+"):
            raise ValueError(f"record {number}: no '+'")
        if len(sequence) != len(qualities):
            raise ValueError(f"record {number}: length mismatch")
        records.append((header[1:], sequence, qualities))
    return records


def naive_fastq_profile(data: bytes, quality_offset: int = 33) -> dict:
    """Return the counts a profile of `data` must hold, as plain Python values.

    Arrays are lists cut at the longest read, like `Profile.to_dict()`.
    """
    reads = 0
    base_counts = {"A": 0, "C": 0, "G": 0, "T": 0, "N": 0}
    quality_counts = [0] * 94
    mean_quality_histogram = [0] * 94
    lengths = Counter()
    position_sums = Counter()
    position_counts = Counter()
    for _, sequence, qualities in naive_fastq_records(data):
        reads += 1
        lengths[len(sequence)] += 1
        for byte in sequence:
            letter = chr(byte).upper()
            base_counts[letter if letter in ("A", "C", "G", "T") else "N"] += 1
        scores = [character - quality_offset for character in qualities]
        for position, score in enumerate(scores):
            if not 0 <= score <= 93:
                raise ValueError(f"record {reads}: quality out of range")
            quality_counts[score] += 1
            position_sums[position] += score
            position_counts[position] += 1
        if scores:
            mean_quality_histogram[sum(scores) // len(scores)] += 1
    longest = max(lengths, default=0)
    bases = sum(base_counts.values())
    called = bases - base_counts["N"]
    quality_sum = sum(score * count for score, count in enumerate(quality_counts))
    q20 = sum(quality_counts[20:])
    q30 = sum(quality_counts[30:])
    return {
        "reads": reads,
        "bases": bases,
        "base_counts": base_counts,
        "gc_bases": base_counts["G"] + base_counts["C"],
        "quality_counts": quality_counts,
        "q20_bases": q20,
        "q30_bases": q30,
        "quality_sum": quality_sum,
        "mean_quality_histogram": mean_quality_histogram,
        "length_histogram": [lengths[length] for length in range(longest + 1)] if reads else [0],
        "position_quality_sum": [position_sums[p] for p in range(longest)],
        "position_quality_count": [position_counts[p] for p in range(longest)],
        "gc_percent": 100.0 * (base_counts["G"] + base_counts["C"]) / called if called else None,
        "mean_quality": quality_sum / bases if bases else None,
        "q20_percent": 100.0 * q20 / bases if bases else None,
        "q30_percent": 100.0 * q30 / bases if bases else None,
        "n_percent": 100.0 * base_counts["N"] / bases if bases else None,
    }


class NaiveFastqDefect(ValueError):
    """A defect found by `naive_validate_fastq`: 1-based record and line, defect name."""

    def __init__(self, record: int, line: int, defect: str):
        self.record = record
        self.line = line
        self.defect = defect
        super().__init__(f"record {record} (line {line}): {defect}")


def naive_validate_fastq(data: bytes) -> int:
    """Return the number of records in FASTQ `data` (Cock et al. 2010, wrapped records
    allowed), or raise `NaiveFastqDefect`; rules as in kernels/fastq_validate.py."""
    lines = data.split(b"\n")
    terminated = [True] * (len(lines) - 1) + [False]
    if lines[-1] == b"":
        lines.pop()  # the split after the final newline
        terminated.pop()
    texts = [line.removesuffix(b"\r") for line in lines]
    records = 0

    def fail(defect: str, line: int):
        raise NaiveFastqDefect(records + 1, line, defect)

    def printable(text: bytes) -> bool:
        return all(33 <= character <= 126 for character in text)

    index = 0  # 0-based; line numbers are index + 1
    while index < len(texts):
        if not texts[index].startswith(b"@"):
            if texts[index] == b"":
                if all(text == b"" for text in texts[index:]):
                    return records
                fail("blank_line", index + 1)
            fail("missing_at_sign", index + 1)
        if not terminated[index]:
            fail("truncated", index + 1)
        title = texts[index][1:]
        index += 1
        sequence = b""
        sequence_lines = 0
        while True:
            if index == len(texts):
                fail("truncated", index)
            text = texts[index]
            if text.startswith(b"+"):
                break
            if text.startswith(b"@"):
                fail("doubled_sequence", index + 1)
            if not printable(text):
                fail("bad_sequence_character", index + 1)
            sequence += text
            sequence_lines += 1
            index += 1
        if not terminated[index]:
            fail("truncated", index + 1)
        if sequence_lines == 0:
            fail("missing_sequence", index + 1)
        if texts[index][1:] and texts[index][1:] != title:
            fail("title_mismatch", index + 1)
        index += 1
        quality = b""
        quality_lines = 0
        while quality_lines == 0 or len(quality) < len(sequence):
            if index == len(texts):
                fail("missing_quality" if quality_lines == 0 else "truncated", index)
            text = texts[index]
            if text.startswith(b"@") and len(quality) + len(text) > len(sequence):
                if quality_lines == 0:
                    fail("missing_quality", index + 1)
                fail("short_quality", index)
            if not printable(text):
                fail("bad_quality_character", index + 1)
            if len(quality) + len(text) > len(sequence):
                fail("long_quality", index + 1)
            quality += text
            quality_lines += 1
            index += 1
        if index < len(texts) and texts[index] != b"" and not texts[index].startswith(b"@"):
            fail("long_quality", index + 1)
        records += 1
    return records
