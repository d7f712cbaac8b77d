"""Adapter content as FastQC measures it, and the adapters a sequence may come from.

A read carries an adapter at position p (0-based) when the adapter's first
`ADAPTER_KMER_LENGTH` (12) bases occur in it starting at p, exactly (upper or lower case;
an N matches nothing). Only the first occurrence counts. FastQC's plot is cumulative:
the share of all reads whose first occurrence starts at or before each position, so
the per-read first positions are what a profile keeps (`first positions`, a histogram per
adapter) and the cumulative curve follows from it (`cumulative_adapter_content`).

The profile kernel first filters: every 12-base occurrence contains an 8-mer that starts
at a multiple of 4 from the read's start, at one of the adapter's offsets 0 to 3, so the
kernel tests the 2-bit code of every fourth 8-mer against `ADAPTER_FILTER`, a bit set of
those 20 codes (8 KiB, in L1). An N reads as a T there, which can only add candidates.
Only reads that pass (about 1% of random sequence) are searched exactly by
`_count_first_adapters`: a rolling 2-bit code of the last 12 bases, `ADAPTER_KMERS`
holding each adapter's 12-mer code and `ADAPTER_SLOTS`, indexed by the low 12 bits of a
code (its last 6 bases), the adapter that could match there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels.jit import kernel

ADAPTER_KMER_LENGTH = 12
KMER_MASK = np.uint64((1 << (2 * ADAPTER_KMER_LENGTH)) - 1)
SLOT_BITS = 12
NO_ADAPTER = -1
FILTER_KMER_LENGTH = 8
FILTER_STRIDE = 4  # FILTER_KMER_LENGTH + FILTER_STRIDE <= ADAPTER_KMER_LENGTH: no occurrence slips between


@dataclass(frozen=True)
class Adapter:
    key: str
    name: str
    sequence: str
    label: str  # short, for plot legends


ADAPTERS = (
    Adapter("illumina_universal", "Illumina Universal / TruSeq adapter", "AGATCGGAAGAGC", "Illumina universal"),
    Adapter("nextera", "Nextera transposase sequence", "CTGTCTCTTATACACATCT", "Nextera"),
    Adapter("small_rna", "Illumina small RNA 3' adapter", "TGGAATTCTCGG", "small RNA 3'"),
    Adapter("poly_a", "poly-A", "A" * ADAPTER_KMER_LENGTH, "poly-A"),
    Adapter("poly_g", "poly-G", "G" * ADAPTER_KMER_LENGTH, "poly-G"),
)
ADAPTER_KEYS = tuple(adapter.key for adapter in ADAPTERS)


def kmer_code(kmer: str) -> int:
    """2-bit code of a k-mer over A, C, G, T (A=0 ... T=3), first base highest."""
    code = 0
    for base in kmer.upper():
        code = (code << 2) | "ACGT".index(base)
    return code


def _adapter_tables() -> tuple[np.ndarray, np.ndarray]:
    kmers = np.array([kmer_code(adapter.sequence[:ADAPTER_KMER_LENGTH]) for adapter in ADAPTERS], dtype=np.uint64)
    slots = np.full(1 << SLOT_BITS, NO_ADAPTER, dtype=np.int8)  # small enough to stay in L1
    for index, kmer in enumerate(kmers.tolist()):
        slot = kmer & ((1 << SLOT_BITS) - 1)
        if slots[slot] != NO_ADAPTER:
            # One adapter per slot keeps the per-base test to a single load.
            raise ValueError(f"adapters {ADAPTERS[slots[slot]].key} and {ADAPTERS[index].key} end alike")
        slots[slot] = index
    return kmers, slots


def _adapter_filter() -> np.ndarray:
    bits = np.zeros(1 << (2 * FILTER_KMER_LENGTH - 3), dtype=np.uint8)
    for adapter in ADAPTERS:
        for offset in range(FILTER_STRIDE):
            code = kmer_code(adapter.sequence[offset : offset + FILTER_KMER_LENGTH])
            bits[code >> 3] |= 1 << (code & 7)
    return bits


ADAPTER_KMERS, ADAPTER_SLOTS = _adapter_tables()
ADAPTER_FILTER = _adapter_filter()
_SLOT_MASK = np.uint64((1 << SLOT_BITS) - 1)


@kernel
def _count_first_adapters(letters, base_codes, first_hits, first_positions):
    """Add, for each adapter found in `letters` (one read), its first position to
    `first_positions`; `first_hits` is scratch space, one slot per adapter."""
    first_hits[:] = -1
    kmer = np.uint64(0)
    run = 0  # bases since an N
    for index in range(letters.size):
        code = base_codes[letters[index]]
        kmer = ((kmer << np.uint64(2)) | np.uint64(code & 3)) & KMER_MASK
        run = run + 1 if code < 4 else 0
        if run >= ADAPTER_KMER_LENGTH:
            adapter = ADAPTER_SLOTS[np.int64(kmer & _SLOT_MASK)]
            if adapter >= 0 and ADAPTER_KMERS[adapter] == kmer and first_hits[adapter] < 0:
                first_hits[adapter] = index + 1 - ADAPTER_KMER_LENGTH
    for adapter in range(first_hits.size):
        if first_hits[adapter] >= 0:
            first_positions[adapter, first_hits[adapter]] += 1


def cumulative_adapter_content(first_positions: np.ndarray, reads: int) -> np.ndarray:
    """Percent of `reads` with the adapter starting at or before each position, from a
    histogram of first positions (FastQC's 'Adapter Content' curve)."""
    if reads == 0:
        return np.zeros(len(first_positions))
    return 100.0 * np.cumsum(first_positions) / reads


def _reverse_complement(sequence: str) -> str:
    return sequence.upper().translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


def possible_adapter_sources(sequence: str, overlap: int = ADAPTER_KMER_LENGTH) -> list[str]:
    """Names of the known adapters sharing at least `overlap` consecutive bases with
    `sequence` (either strand of the adapter), the way FastQC labels overrepresented
    sequences with a 'possible source'."""
    sequence = sequence.upper()
    sources = []
    for adapter in ADAPTERS:
        strands = (adapter.sequence, _reverse_complement(adapter.sequence))
        if any(
            strand[start : start + overlap] in sequence
            for strand in strands
            for start in range(len(strand) - overlap + 1)
        ):
            sources.append(adapter.name)
    return sources
