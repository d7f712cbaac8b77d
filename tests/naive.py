"""Slow, obviously correct references for the kernels; tests compare the two.

Written from the definitions in the kernel docstrings, line by line in plain Python,
without sharing code with the kernels.
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction


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


NAIVE_ADAPTERS = {
    "illumina_universal": "AGATCGGAAGAGC",
    "nextera": "CTGTCTCTTATACACATCT",
    "small_rna": "TGGAATTCTCGG",
    "poly_a": "A" * 12,
    "poly_g": "G" * 12,
}


def naive_quality_encoding(lowest: int | None, highest: int | None, requested="auto") -> str:
    """The encoding's name by the rules of kernels/quality_encoding.py; ValueError when
    the requested one cannot hold `lowest`."""
    lowest_of = {"sanger": ord("!"), "illumina-1.3": ord("@"), "solexa": ord(";")}
    named = {33: "sanger", 64: "illumina-1.3", "solexa": "solexa"}
    if requested != "auto":
        name = named[requested]
        if lowest is not None and lowest < lowest_of[name]:
            raise ValueError(f"{chr(lowest)!r} is below {name}'s range")
        return name
    if lowest is None or lowest < ord(";") or highest <= ord("J"):
        return "sanger"
    return "solexa" if lowest < ord("@") else "illumina-1.3"


def naive_phred(character: int, encoding: str) -> int:
    if encoding == "sanger":
        return character - 33
    if encoding == "illumina-1.3":
        return character - 64
    solexa = character - 64
    return round(10 * math.log10(10 ** (solexa / 10) + 1))


def naive_key(sequence: bytes) -> str:
    """A read's key: the whole read up to 75 bases, else the first 50; upper case,
    every letter but A, C, G, T an N."""
    letters = "".join(base if base in "ACGT" else "N" for base in sequence.decode("latin-1").upper())
    return letters if len(letters) <= 75 else letters[:50]


def naive_key_hash(key: str) -> int:
    """Sum of (code + 1) * M**i over the key (codes A, C, G, T, N = 0..4), modulo 2**64,
    then splitmix64's finaliser."""
    mask = (1 << 64) - 1
    state = sum(("ACGTN".index(letter) + 1) * pow(0x9E3779B97F4A7C15, i, 1 << 64) for i, letter in enumerate(key)) & mask
    state ^= state >> 30
    state = (state * 0xBF58476D1CE4E5B9) & mask
    state ^= state >> 27
    state = (state * 0x94D049BB133111EB) & mask
    return state ^ (state >> 31)


def naive_duplication_sample(keys: Counter, capacity: int) -> dict:
    """The keys whose hash starts with `level` zero bits, at the lowest level where at
    most `capacity` distinct keys qualify, with their exact counts."""
    hashes = Counter()
    for key, count in keys.items():
        hashes[naive_key_hash(key)] += count
    level = 0
    while sum(1 for hashed in hashes if hashed >> (64 - level) == 0 or level == 0) > capacity:
        level += 1
    sample = {hashed: count for hashed, count in hashes.items() if level == 0 or hashed >> (64 - level) == 0}
    return {
        "capacity": capacity,
        "level": level,
        "considered_reads": sum(keys.values()),
        "keys": sorted(sample),
        "counts": [sample[hashed] for hashed in sorted(sample)],
    }


def naive_fastq_profile(data: bytes, quality_offset=33, duplication_capacity: int = 1 << 13) -> dict:
    """Return the counts a profile of `data` must hold, as plain Python values.

    Arrays are lists cut at the longest read, like `Profile.to_dict()`;
    `position_quality_histograms` holds full rows of 94 Phred scores per position.
    """
    records = naive_fastq_records(data)
    characters = [character for _, _, qualities in records for character in qualities]
    for number, (_, _, qualities) in enumerate(records, start=1):
        if any(not 33 <= character <= 126 for character in qualities):
            raise ValueError(f"record {number}: not a quality character")
    encoding = naive_quality_encoding(min(characters, default=None), max(characters, default=None), quality_offset)
    reads = 0
    base_counts = {"A": 0, "C": 0, "G": 0, "T": 0, "N": 0}
    quality_counts = [0] * 94
    mean_quality_histogram = [0] * 94
    gc_histogram = [0] * 101
    lengths = Counter()
    position_sums = Counter()
    position_counts = Counter()
    position_bases = {base: Counter() for base in base_counts}
    position_scores = {}
    adapter_first = {name: Counter() for name in NAIVE_ADAPTERS}
    keys = Counter()
    for _, sequence, qualities in records:
        reads += 1
        lengths[len(sequence)] += 1
        letters = sequence.decode("latin-1").upper()
        for position, letter in enumerate(letters):
            base = letter if letter in ("A", "C", "G", "T") else "N"
            base_counts[base] += 1
            position_bases[base][position] += 1
        scores = [naive_phred(character, encoding) for character in qualities]
        for position, score in enumerate(scores):
            quality_counts[score] += 1
            position_sums[position] += score
            position_counts[position] += 1
            position_scores.setdefault(position, [0] * 94)[score] += 1
        if not sequence:
            continue
        mean_character = sum(character - 33 for character in qualities) // len(qualities)
        mean_quality_histogram[naive_phred(mean_character + 33, encoding)] += 1
        gc = sum(1 for letter in letters if letter in "GC")
        called = sum(1 for letter in letters if letter in "ACGT")
        if called:
            gc_histogram[math.floor(Fraction(100 * gc, called) + Fraction(1, 2))] += 1
        for name, adapter in NAIVE_ADAPTERS.items():
            found = letters.find(adapter[:12])
            if found >= 0:
                adapter_first[name][found] += 1
        keys[naive_key(sequence)] += 1
    longest = max(lengths, default=0)
    bases = sum(base_counts.values())
    called = bases - base_counts["N"]
    quality_sum = sum(score * count for score, count in enumerate(quality_counts))
    q20 = sum(quality_counts[20:])
    q30 = sum(quality_counts[30:])
    distinct = len(keys)
    key_reads = sum(keys.values())
    return {
        "quality_encoding": encoding,
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
        "position_base_counts": {base: [counter[p] for p in range(longest)] for base, counter in position_bases.items()},
        "position_quality_histograms": [position_scores[p] for p in range(longest)],
        "gc_histogram": gc_histogram,
        "adapter_first_positions": {name: [counter[p] for p in range(longest)] for name, counter in adapter_first.items()},
        "keys": keys,
        "duplication": naive_duplication_sample(keys, duplication_capacity),
        "frequent_sequences": dict(keys),
        "gc_percent": 100.0 * (base_counts["G"] + base_counts["C"]) / called if called else None,
        "mean_quality": quality_sum / bases if bases else None,
        "q20_percent": 100.0 * q20 / bases if bases else None,
        "q30_percent": 100.0 * q30 / bases if bases else None,
        "n_percent": 100.0 * base_counts["N"] / bases if bases else None,
        "min_length": min(lengths) if reads else None,
        "max_length": longest if reads else None,
        "mean_length": bases / reads if reads else None,
        "duplicate_percent": 100.0 * (1 - distinct / key_reads) if key_reads else None,
    }


def naive_percentile(histogram: list[int], percent: float) -> int | None:
    """Nearest-rank percentile of the scores a histogram (index = score) counts: the
    smallest score with at least ceil(percent/100 * n) scores at or below it."""
    scores = sorted(score for score, count in enumerate(histogram) for _ in range(count))
    if not scores:
        return None
    rank = max(1, math.ceil(Fraction(str(percent)) / 100 * len(scores)))
    return scores[rank - 1]


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
