"""Reads aligned with minimap2 (through mappy) and written as BAM records by htslib (pysam).

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

Reads are mapped in batches; each batch becomes SAM text (:mod:`workflows.common.sam_records`), which htslib (samtools view,
in-process) turns into a BAM file of its own, and the batches' files are joined in input
order (samtools cat), so the output is the same for any number of worker processes.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mappy
import numpy as np
import pysam

from workflows.common.read_files import fastq_reads, read_pairs
from workflows.common.sam_records import (
    DEFAULT_MAX_FRAGMENT_LENGTH,
    PROPER_PAIR,
    SUPPLEMENTARY,
    UNMAPPED,
    SamContext,
    pair_lines,
    single_lines,
)

PRESETS = ("sr", "map-ont", "map-pb", "map-hifi")  # those reference/prepare.py builds indexes for
BATCH_READS = 5000  # reads or pairs per batch, and per worker task
# The unsorted BAM is an intermediate, read once by the sort: fast compression halves
# the time htslib spends writing it, for a file about 5% larger.
UNSORTED_BAM_FORMAT = "bam,level=1"


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
    """`threads`: processes that map and write batches (one: all in this process);
    `batch_reads`: reads, or pairs, per batch. Neither changes the records written."""

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


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunk_counts(lines: list[str]) -> AlignmentCounts:
    counts = AlignmentCounts()
    for line in lines:
        flag = int(line.split("\t", 2)[1])
        if flag & SUPPLEMENTARY:
            counts.supplementary += 1
            continue
        counts.reads += 1
        if not flag & UNMAPPED:
            counts.mapped += 1
            counts.properly_paired += bool(flag & PROPER_PAIR)
    return counts


def _write_chunk(
    aligner: mappy.Aligner, context: SamContext, folder: Path, number: int, batch: list
) -> tuple[Path, AlignmentCounts]:
    """Map one batch of reads (or pairs) into a BAM file of its own; htslib turns the
    SAM text into BAM, with no Python object per record."""
    buffer = mappy.ThreadBuffer()
    lines: list[str] = []
    if len(batch[0]) == 2:
        for one, two in batch:
            lines += pair_lines(context, aligner.map(one.sequence, two.sequence, buf=buffer), one, two)
    else:
        for (read,) in batch:
            lines += single_lines(context, aligner.map(read.sequence, buf=buffer), read)
    sam, bam = folder / f"{number:08d}.sam", folder / f"{number:08d}.bam"
    with open(sam, "w", encoding="utf-8") as text:
        text.write(context.header_text)
        text.writelines(lines)
    try:
        pysam.view("-b", "--no-PG", "--output-fmt", UNSORTED_BAM_FORMAT, "-o", str(bam), str(sam), catch_stdout=False)
    except pysam.SamtoolsError as error:  # a read htslib refuses; ValueError also pickles back from a worker
        raise ValueError(f"reads {batch[0][0].name} to {batch[-1][0].name}: htslib refused a record: {error}") from None
    sam.unlink()
    return bam, _chunk_counts(lines)


_WORKER_STATE: tuple = ()


def _start_worker(aligner: mappy.Aligner, context: SamContext) -> None:
    global _WORKER_STATE
    _WORKER_STATE = (aligner, context)


def _write_chunk_in_worker(folder: Path, number: int, batch: list) -> tuple[Path, AlignmentCounts]:
    return _write_chunk(*_WORKER_STATE, folder, number, batch)


def _chunks_in_order(aligner, context: SamContext, folder: Path, batches: Iterator[list], processes: int) -> Iterator:
    """(BAM file, counts) of each batch, in input order. More than one process: worker
    processes forked from this one (the index is in memory and mappy cannot pickle it;
    fork shares it), with at most two batches per process in flight so memory stays
    bounded."""
    if processes <= 1 or multiprocessing.current_process().daemon:  # a daemon may not start processes
        for number, batch in enumerate(batches):
            yield _write_chunk(aligner, context, folder, number, batch)
        return
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=fork, initializer=_start_worker, initargs=(aligner, context)) as pool:
        pending = deque()
        for number, batch in enumerate(batches):
            pending.append(pool.submit(_write_chunk_in_worker, folder, number, batch))
            if len(pending) >= 2 * processes:
                yield pending.popleft().result()
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
    header = pysam.AlignmentHeader.from_dict(sam_header(sequences, sample))
    missing = [name for name in aligner.seq_names if name not in references]
    if missing:
        raise ValueError(f"the index holds sequences the reference does not list: {', '.join(missing[:5])}")
    views = {name: memoryview(sequence) for name, sequence in references.items()}
    context = SamContext(str(header), views, sample, settings.max_fragment_length)
    items = read_pairs(*reads) if paired else ((read,) for read in fastq_reads(reads[0]))
    counts = AlignmentCounts(paired=paired)
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix=".align-", dir=output.parent) as scratch:
        batches = _batches(items, settings.batch_reads)
        chunks = []
        for chunk, chunk_counts in _chunks_in_order(aligner, context, Path(scratch), batches, settings.threads):
            chunks.append(str(chunk))
            counts.reads += chunk_counts.reads
            counts.mapped += chunk_counts.mapped
            counts.properly_paired += chunk_counts.properly_paired
            counts.supplementary += chunk_counts.supplementary
        if chunks:
            # samtools cat copies the compressed records of each file after the first's header.
            pysam.cat("--no-PG", "-o", str(output), *chunks, catch_stdout=False)
        else:
            with pysam.AlignmentFile(str(output), "wb", header=header):
                pass
    return counts


def sort_and_index(unsorted: Path | str, output: Path | str, threads: int = 1) -> None:
    """Coordinate-sort a BAM with samtools (in-process, through pysam) and index it.

    With `threads` > 1, that many threads compress the output while the calling one
    feeds them (it mostly waits): pysam's samtools gains nothing from a single helper
    thread (200,000 reads: 1.92 s alone, 1.73 s with one, 1.01 s with two)."""
    pysam.sort("-@", str(threads if threads > 1 else 0), "-o", str(output), str(unsorted))
    pysam.index(str(output))
