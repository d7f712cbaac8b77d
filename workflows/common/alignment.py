"""Reads aligned with minimap2 (through mappy) into BAM records encoded by a Numba kernel.

mappy returns hits (contig, strand, query and reference intervals, CIGAR, MAPQ, NM, MD),
not SAM; this module turns them into the records `minimap2 -a` would print:

- one primary record per read; further hits of the read that mappy marks primary are
  other parts of a chimeric read and become supplementary (flag 0x800, soft-clipped,
  with an SA tag on each part); hits mappy marks secondary are left out, as with
  `minimap2 --secondary=no`;
- a read on the reverse strand is stored reverse-complemented with its qualities
  reversed (0x10), the unaligned ends of the read as soft clips;
- pairs: 0x1, 0x40/0x80, mate strand (0x20) or mate unmapped (0x8), RNEXT/PNEXT, and
  the template length from the leftmost to the rightmost aligned base of the two
  primaries (positive on the leftmost read); a proper pair (0x2) is two primaries on one
  contig, facing each other, at most `max_fragment_length` apart;
- an unmapped read is kept (0x4, MAPQ 0) and, when its mate is mapped, placed at its
  mate's position so that sorting puts the two together, as samtools expects;
- NM and MD computed here from the reference sequence (mappy's own MD leaves out the
  final 0 after a closing mismatch, which `samtools calmd` reports); RG names the sample.

Reads are mapped in batches; the hits of a batch go, as flat arrays, to one kernel call
(:mod:`kernels.bam_records`) that applies these rules and encodes the BAM records, which
are compressed into BGZF blocks of their own; the batches' blocks are joined in input
order, so the output is the same for any number of worker processes.
"""

from __future__ import annotations

import multiprocessing
import struct
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from dataclasses import dataclass
from pathlib import Path

import mappy
import numpy as np
import pysam
from isal import igzip, isal_zlib

from kernels.bam_records import MAX_CIGAR_OPERATIONS, MAX_NAME_BYTES, encode_records
from reference.bgzf import EOF_BLOCK, BgzfWriter, compress_blocks
from workflows.common.read_files import ReadBatch, read_batches

PRESETS = ("sr", "map-ont", "map-pb", "map-hifi")  # those reference/prepare.py builds indexes for
BATCH_READS = 5000  # reads or pairs per batch, and per worker task
WORKER_BATCHES = 64  # batches a worker process maps before a fresh one replaces it
DEFAULT_MAX_FRAGMENT_LENGTH = 800  # minimap2's sr preset
# The unsorted BAM is an intermediate, read once by the sort: ISA-L's fastest levels
# compress it several times faster than zlib, about as small as zlib's level 1.
UNSORTED_BAM_LEVEL = 1
SORTED_BAM_LEVEL = 3  # ISA-L's best
COPY_BYTES = 1 << 22


@dataclass(frozen=True)
class ReferenceSequence:
    """One sequence of the reference, as the @SQ header line describes it."""

    name: str
    length: int
    md5: str | None = None


@dataclass
class AlignmentCounts:
    """What was written: reads (mates counted one by one), and of those the mapped and
    properly paired ones (primary records only)."""

    reads: int = 0
    mapped: int = 0
    properly_paired: int = 0
    paired: bool = False
    supplementary: int = 0

    def to_dict(self) -> dict:
        return {
            "reads": self.reads,
            "mapped": self.mapped,
            "unmapped": self.reads - self.mapped,
            "properly_paired": self.properly_paired,
            "supplementary": self.supplementary,
            "paired": self.paired,
        }


@dataclass(frozen=True)
class AlignmentSettings:
    """`threads`: processes that map and write batches (one, for single reads: all in
    this process); `batch_reads`: reads, or pairs, per batch. Neither changes the records
    written."""

    preset: str = "sr"
    threads: int = 1
    max_fragment_length: int = DEFAULT_MAX_FRAGMENT_LENGTH
    batch_reads: int = BATCH_READS


def sam_header(sequences: list[ReferenceSequence], sample: str, read_group: str | None = None) -> dict:
    """A SAM header: @HD, an @SQ line per sequence (with M5 when known), one @RG and @PG."""
    sequence_lines = []
    for sequence in sequences:
        line = {"SN": sequence.name, "LN": sequence.length}
        if sequence.md5:
            line["M5"] = sequence.md5
        sequence_lines.append(line)
    return {
        "HD": {"VN": "1.6", "SO": "unsorted"},
        "SQ": sequence_lines,
        "RG": [{"ID": read_group or sample, "SM": sample}],
        "PG": [{"ID": "lsdih-align", "PN": "mappy", "VN": getattr(mappy, "__version__", "unknown")}],
    }


@dataclass(frozen=True)
class _Reference:
    """What encoding records needs of the reference, as the kernel takes it: contig
    numbers by name, the upper-case bases and the names as flat arrays, the read group,
    and the longest fragment of a proper pair."""

    numbers: dict[str, int]
    bases: np.ndarray
    offsets: np.ndarray
    names: np.ndarray
    name_offsets: np.ndarray
    read_group: np.ndarray
    max_fragment_length: int

    @classmethod
    def build(cls, sequences: list[ReferenceSequence], arrays: dict[str, np.ndarray], read_group: str,
              max_fragment_length: int) -> _Reference:
        names = [sequence.name.encode() for sequence in sequences]
        return cls(
            {sequence.name: number for number, sequence in enumerate(sequences)},
            np.concatenate([arrays[sequence.name] for sequence in sequences]) if sequences else np.zeros(0, np.uint8),
            _offsets([sequence.length for sequence in sequences]),
            np.frombuffer(b"".join(names), dtype=np.uint8),
            _offsets([len(name) for name in names]),
            np.frombuffer(read_group.encode(), dtype=np.uint8),
            max_fragment_length,
        )


def _offsets(lengths: list[int]) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _bytes(texts: list[str]) -> np.ndarray:
    return np.frombuffer("".join(texts).encode("ascii", "replace"), dtype=np.uint8)


def _encode_batch(aligner: mappy.Aligner, reference: _Reference, batch: ReadBatch) -> tuple[bytes, AlignmentCounts]:
    """Map one batch of reads (or pairs) and return its records as BGZF blocks.

    Python only collects what mappy returns (a read's primary hits, in its order); the
    kernel builds every record."""
    buffer = mappy.ThreadBuffer()
    mates = len(batch.sequences)
    hits_per_read, hits, cigars, cigar_counts = [], [], [], []
    numbers = reference.numbers
    for template in zip(*batch.sequences):
        first, second = [], []  # single reads' hits are all read 1's
        for hit in aligner.map(*template, buf=buffer):
            if hit.is_primary:
                (second if hit.read_num == 2 else first).append(hit)
        for read_hits in (first, second)[:mates]:
            hits_per_read.append(len(read_hits))
            for hit in read_hits:
                cigar = hit.cigar
                hits += (numbers[hit.ctg], hit.r_st, hit.r_en, hit.q_st, hit.q_en, hit.strand < 0, hit.mapq)
                for operation in cigar:
                    cigars += operation
                cigar_counts.append(len(cigar))
    if cigar_counts and max(cigar_counts) + 2 > MAX_CIGAR_OPERATIONS:
        read = int(np.searchsorted(_offsets(hits_per_read), cigar_counts.index(max(cigar_counts)), side="right")) - 1
        raise ValueError(f"read {batch.names[read // mates]}: an alignment of {max(cigar_counts)} CIGAR operations "
                         "is too long for BAM")
    # Reads in template order: read 1 and read 2 of each pair side by side.
    sequences = [sequence for template in zip(*batch.sequences) for sequence in template]
    qualities = [quality for template in zip(*batch.qualities) for quality in template]
    has_qualities = [quality is not None for quality in qualities]
    qualities = [quality or "!" * len(sequence) for quality, sequence in zip(qualities, sequences)]
    names = [name.encode() for name in batch.names]
    long_names = [name for name in names if len(name) > MAX_NAME_BYTES]
    if long_names:
        raise ValueError(f"read name longer than {MAX_NAME_BYTES} bytes: {long_names[0][:60].decode(errors='replace')}...")
    records, counts = encode_records(
        mates, np.frombuffer(b"".join(names), dtype=np.uint8), _offsets([len(name) for name in names]),
        _bytes(sequences), _bytes(qualities), np.array(has_qualities, dtype=np.bool_),
        _offsets([len(sequence) for sequence in sequences]), _offsets(hits_per_read),
        np.array(hits, dtype=np.int64).reshape(-1, 7), _offsets(cigar_counts),
        np.array(cigars, dtype=np.int64).reshape(-1, 2),
        reference.bases, reference.offsets, reference.names, reference.name_offsets, reference.read_group,
        reference.max_fragment_length,
    )  # fmt: skip
    reads, mapped, properly_paired, supplementary = (int(count) for count in counts)
    blocks = compress_blocks(records.tobytes(), UNSORTED_BAM_LEVEL, isal_zlib)
    return blocks, AlignmentCounts(reads, mapped, properly_paired, mates == 2, supplementary)


def _bam_header(text: str, sequences: list[ReferenceSequence]) -> bytes:
    """The binary header of a BAM file (SAM specification, section 4.2)."""
    encoded = text.encode()
    parts = [b"BAM\1", struct.pack("<i", len(encoded)), encoded, struct.pack("<i", len(sequences))]
    for sequence in sequences:
        name = sequence.name.encode() + b"\0"
        parts += [struct.pack("<i", len(name)), name, struct.pack("<i", sequence.length)]
    return b"".join(parts)


_WORKER_STATE: tuple = ()


def _start_worker(aligner: mappy.Aligner, reference: _Reference) -> None:
    global _WORKER_STATE
    _WORKER_STATE = (aligner, reference)


def _encode_batch_in_worker(batch: ReadBatch) -> tuple[bytes, AlignmentCounts]:
    return _encode_batch(*_WORKER_STATE, batch)


def _batches_in_order(aligner, reference: _Reference, batches: Iterator[ReadBatch], processes: int,
                      paired: bool) -> Iterator:
    """(BGZF blocks, counts) of each batch, in input order.

    Pairs, or more than one process: worker processes forked from this one (the index is
    in memory and mappy cannot pickle it; fork shares it), with at most two batches per
    process in flight so memory stays bounded. mappy's paired mapping leaks the copy of
    read 2 it makes for each pair (a strdup never freed, ~160 bytes a pair: 160 MB per
    million pairs), so the workers are replaced every `WORKER_BATCHES` batches and pairs
    are never mapped in this process, unless it may not start processes (a daemon)."""
    if multiprocessing.current_process().daemon or (processes <= 1 and not paired):
        for batch in batches:
            yield _encode_batch(aligner, reference, batch)
        return
    fork = multiprocessing.get_context("fork")
    processes = max(processes, 1)
    batches = iter(batches)
    while True:
        with ProcessPoolExecutor(processes, mp_context=fork, initializer=_start_worker, initargs=(aligner, reference)) as pool:
            pending = deque(pool.submit(_encode_batch_in_worker, batch) for batch in islice(batches, 2 * processes))
            if not pending:
                return
            for batch in islice(batches, processes * WORKER_BATCHES - len(pending)):
                yield pending.popleft().result()
                pending.append(pool.submit(_encode_batch_in_worker, batch))
            while pending:
                yield pending.popleft().result()


def load_aligner(reference: Path | str, preset: str) -> mappy.Aligner:
    """A mappy aligner from a prebuilt index (.mmi) or from the FASTA (plain or gzip)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    aligner = mappy.Aligner(str(reference), preset=preset)
    if not aligner:
        raise ValueError(f"{reference}: mappy could not load or build a minimap2 index")
    return aligner


def reference_arrays(fasta: Path | str, sequences: list[ReferenceSequence]) -> dict[str, np.ndarray]:
    """Each listed sequence of an indexed FASTA (plain or BGZF) as upper-case uint8."""
    arrays = {}
    with pysam.FastaFile(str(fasta)) as reference:
        for sequence in sequences:
            text = reference.fetch(sequence.name).upper().encode("ascii")
            if len(text) != sequence.length:
                raise ValueError(f"{fasta}: {sequence.name} has {len(text)} bases, the reference lists {sequence.length}")
            arrays[sequence.name] = np.frombuffer(text, dtype=np.uint8)
    return arrays


def align_reads(
    aligner: mappy.Aligner,
    references: dict[str, np.ndarray],
    sequences: list[ReferenceSequence],
    reads: list[Path | str],
    output: Path | str,
    sample: str,
    settings: AlignmentSettings = AlignmentSettings(),
) -> AlignmentCounts:
    """Align single-end reads (one file) or pairs (two files) into an unsorted BAM.

    `references` holds the sequences as `reference_arrays` gives them (for MD and NM);
    `sequences` the @SQ lines, in reference order.
    """
    if len(reads) not in (1, 2):
        raise ValueError("give one FASTQ file (single-end) or two (read 1, read 2)")
    paired = len(reads) == 2
    header = str(pysam.AlignmentHeader.from_dict(sam_header(sequences, sample)))
    missing = [name for name in aligner.seq_names if name not in references]
    if missing:
        raise ValueError(f"the index holds sequences the reference does not list: {', '.join(missing[:5])}")
    reference = _Reference.build(sequences, references, sample, settings.max_fragment_length)
    counts = AlignmentCounts(paired=paired)
    output = Path(output)
    try:
        with open(output, "wb") as bam:
            bam.write(compress_blocks(_bam_header(header, sequences), UNSORTED_BAM_LEVEL, isal_zlib))
            for blocks, batch_counts in _batches_in_order(aligner, reference, read_batches(reads, settings.batch_reads), settings.threads, paired):
                bam.write(blocks)
                counts.reads += batch_counts.reads
                counts.mapped += batch_counts.mapped
                counts.properly_paired += batch_counts.properly_paired
                counts.supplementary += batch_counts.supplementary
            bam.write(EOF_BLOCK)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return counts


def sort_and_index(unsorted: Path | str, output: Path | str, threads: int = 1) -> None:
    """Coordinate-sort a BAM with samtools (in-process, through pysam), compress and index it.

    samtools writes the sorted records uncompressed (a staging file as large as the
    records); ISA-L then compresses them at its best level on `threads` threads: as small
    as zlib's default level (the benchmark's 200,000 reads: 23.09 against 23.07 MB),
    about seven times faster per core than the zlib that pysam's htslib is built with
    (sort, compression and index of those reads: 0.7 s against 1.1 s)."""
    output = Path(output)
    staging = output.with_name(output.name + ".uncompressed")
    try:
        pysam.sort("-u", "-@", str(threads), "-o", str(staging), str(unsorted))
        with igzip.open(staging, "rb") as records, BgzfWriter(output, threads, SORTED_BAM_LEVEL, isal_zlib) as bam:
            while piece := records.read(COPY_BYTES):
                bam.write(piece)
    finally:
        staging.unlink(missing_ok=True)
    # Like sort, index gains from helper threads only from two on (they inflate blocks).
    pysam.index("-@", str(threads if threads > 1 else 0), str(output))
