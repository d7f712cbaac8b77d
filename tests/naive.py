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
