"""Seeded Illumina-like read simulator for tests, demos and benchmarks.

Fragments are drawn from a genome (random, or a sequence the caller supplies) with a
normal length distribution and a random strand. A single-end read, or read 1 of a pair,
is the start of the fragment; read 2 is the start of its reverse complement. When a
fragment is shorter than the read, the read runs through into the adapter and then into
random bases, as on the instrument. Substitutions hit bases at a fixed rate; qualities
fall towards the end of the read like Illumina's; no-calls (N) get quality 2.

The same seed and settings give the same bytes, plain or gzip (the gzip header carries
no time stamp or file name). Each read's name records where it came from,
`sim<i>[/1|/2] origin=<start>-<end><strand>` with a 0-based half-open fragment, so
tests can check every base against the genome.
"""

from __future__ import annotations

import contextlib
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ADAPTER_READ_1 = b"AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"  # TruSeq, seen by read 1
ADAPTER_READ_2 = b"AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"  # TruSeq, seen by read 2
BASES = b"ACGT"
COMPLEMENT = bytes.maketrans(b"ACGTN", b"TGCAN")
NO_CALL_QUALITY = 2
BASE_CODES = np.full(256, 4, dtype=np.int64)  # A, C, G, T to 0..3; anything else to 4
BASE_CODES[np.frombuffer(BASES, dtype=np.uint8)] = np.arange(4)
BATCH_READS = 10_000  # bounds memory; part of what a seed means, so do not change it
GZIP_LEVEL = 1  # on simulated reads 6x faster than level 6 for 7% more bytes


@dataclass(frozen=True)
class SimulationSettings:
    """What to simulate; `read_count` counts pairs for paired-end output."""

    read_count: int = 1000
    read_length: int = 100
    fragment_mean: float = 300.0
    fragment_sd: float = 50.0
    substitution_rate: float = 0.001
    no_call_rate: float = 0.0
    adapter_read_through: bool = True
    quality_start: float = 37.0  # mean Phred score of the first base
    quality_end: float = 25.0  # mean Phred score of the last base
    quality_sd: float = 3.0
    seed: int = 0


@dataclass(frozen=True)
class SimulatedReads:
    """What was written: `reads` records per file; `bases` and `substitutions` over all."""

    paths: tuple[Path, ...]
    reads: int
    bases: int
    substitutions: int


def random_genome(length: int, seed: int = 0, gc_content: float = 0.5) -> str:
    """Return a random genome sequence of `length` bases with the given GC share."""
    rng = np.random.default_rng(seed)
    probabilities = [(1 - gc_content) / 2, gc_content / 2, gc_content / 2, (1 - gc_content) / 2]
    codes = rng.choice(4, size=length, p=probabilities)
    return np.frombuffer(BASES, dtype=np.uint8)[codes].tobytes().decode("ascii")


def first_fasta_sequence(path: str | Path) -> str:
    """Return the first sequence of a FASTA file, upper-cased, lines joined."""
    lines = []
    with open(path, encoding="ascii") as fasta:
        for line in fasta:
            if line.startswith(">"):
                if lines:
                    break
                continue
            lines.append(line.strip())
    return "".join(lines).upper()


def simulate_reads(
    genome: str,
    read_1_path: str | Path,
    read_2_path: str | Path | None = None,
    settings: SimulationSettings = SimulationSettings(),
) -> SimulatedReads:
    """Write single-end reads to `read_1_path`, or pairs to both paths (`.gz`: gzip)."""
    genome_bytes = genome.upper().encode("ascii")
    if not genome_bytes:
        raise ValueError("the genome is empty")
    paths = tuple(Path(path) for path in (read_1_path, read_2_path) if path is not None)
    adapters = (ADAPTER_READ_1, ADAPTER_READ_2)[: len(paths)]
    rng = np.random.default_rng(settings.seed)
    bases = substitutions = 0
    with contextlib.ExitStack() as stack:
        outputs = [_open_for_writing(path, stack) for path in paths]
        for first in range(0, settings.read_count, BATCH_READS):
            count = min(BATCH_READS, settings.read_count - first)
            fragments = _draw_fragments(rng, genome_bytes, count, settings)
            for mate, (output, adapter) in enumerate(zip(outputs, adapters), start=1):
                templates = fragments.sequences
                if mate == 2:
                    templates = [_reverse_complement(fragment) for fragment in templates]
                reads = _sequence_reads(rng, templates, adapter, settings)
                names = _read_names(first, mate if len(paths) == 2 else 0, fragments)
                output.write(_fastq_records(names, reads))
                bases += int(reads.lengths.sum())
                substitutions += reads.substitutions
    return SimulatedReads(paths, settings.read_count, bases, substitutions)


@dataclass(frozen=True)
class _Fragments:
    sequences: list[bytes]
    starts: np.ndarray
    lengths: np.ndarray
    reverse: np.ndarray


@dataclass(frozen=True)
class _Reads:
    bases: np.ndarray  # (reads, read_length) ASCII; only the first `lengths` are real
    qualities: np.ndarray  # same shape, Phred scores
    lengths: np.ndarray
    substitutions: int


def _draw_fragments(rng, genome: bytes, count: int, settings: SimulationSettings) -> _Fragments:
    lengths = np.rint(rng.normal(settings.fragment_mean, settings.fragment_sd, count))
    lengths = np.clip(lengths, 1, len(genome)).astype(np.int64)
    starts = rng.integers(0, len(genome) - lengths + 1)
    reverse = rng.random(count) < 0.5
    sequences = []
    for start, length, is_reverse in zip(starts.tolist(), lengths.tolist(), reverse.tolist()):
        fragment = genome[start : start + length]
        sequences.append(_reverse_complement(fragment) if is_reverse else fragment)
    return _Fragments(sequences, starts, lengths, reverse)


def _sequence_reads(rng, templates, adapter: bytes, settings: SimulationSettings) -> _Reads:
    """Read the start of each template, then add errors, no-calls and qualities."""
    count, length = len(templates), settings.read_length
    filler = np.frombuffer(BASES, dtype=np.uint8)[rng.integers(0, 4, (count, length))]
    bases = filler.copy()
    lengths = np.empty(count, dtype=np.int64)
    for index, template in enumerate(templates):
        if settings.adapter_read_through:
            template = (template + adapter)[:length]
        else:
            template = template[:length]
        bases[index, : len(template)] = np.frombuffer(template, dtype=np.uint8)
        lengths[index] = length if settings.adapter_read_through else len(template)

    in_read = np.arange(length) < lengths[:, None]
    codes = BASE_CODES[bases]
    substituted = (rng.random((count, length)) < settings.substitution_rate) & in_read
    substituted &= codes < 4  # a genome's own Ns and ambiguity codes stay as they are
    shifts = rng.integers(1, 4, (count, length))  # to one of the three other bases
    substitutes = np.frombuffer(BASES, dtype=np.uint8)[(codes + shifts) % 4]
    no_call = (rng.random((count, length)) < settings.no_call_rate) & in_read
    substituted &= ~no_call
    bases = np.where(substituted, substitutes, bases)
    bases[no_call] = ord("N")

    decline = (np.arange(length) / max(length - 1, 1)) ** 2
    expected = settings.quality_start - (settings.quality_start - settings.quality_end) * decline
    noise = rng.normal(0.0, settings.quality_sd, (count, length))
    qualities = np.clip(np.rint(expected + noise), NO_CALL_QUALITY, 41).astype(np.uint8)
    qualities[no_call] = NO_CALL_QUALITY
    return _Reads(bases.astype(np.uint8), qualities, lengths, int(substituted.sum()))


def _read_names(first: int, mate: int, fragments: _Fragments) -> list[bytes]:
    suffix = f"/{mate}" if mate else ""
    names = []
    for offset, (start, length, reverse) in enumerate(
        zip(fragments.starts.tolist(), fragments.lengths.tolist(), fragments.reverse.tolist())
    ):
        strand = "-" if reverse else "+"
        origin = f"{start}-{start + length}{strand}"
        names.append(f"sim{first + offset}{suffix} origin={origin}".encode())
    return names


def _fastq_records(names: list[bytes], reads: _Reads) -> bytes:
    records = []
    for name, bases, qualities, length in zip(
        names, reads.bases, reads.qualities, reads.lengths.tolist()
    ):
        quality_text = (qualities[:length] + 33).tobytes()
        records.append(b"@%s\n%s\n+\n%s\n" % (name, bases[:length].tobytes(), quality_text))
    return b"".join(records)


def _reverse_complement(sequence: bytes) -> bytes:
    return sequence.translate(COMPLEMENT)[::-1]


def _open_for_writing(path: Path, stack: contextlib.ExitStack):
    """Open `path` for binary writing, through gzip if it ends in .gz; closed by `stack`."""
    raw = stack.enter_context(open(path, "wb"))
    if path.suffix == ".gz":
        # No name or time in the header, so the same reads give the same bytes.
        return stack.enter_context(
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0)
        )
    return raw
