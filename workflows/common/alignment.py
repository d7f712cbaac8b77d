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

Reads are mapped in batches; each batch becomes SAM text, which htslib (samtools view,
in-process) turns into a BAM file of its own, and the batches' files are joined in input
order (samtools cat), so the output is the same for any number of worker processes.
"""

from __future__ import annotations

import multiprocessing
import re
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mappy
import numpy as np
import pysam

from workflows.common.read_files import Read, fastq_reads, read_pairs

PRESETS = ("sr", "map-ont", "map-pb", "map-hifi")  # those reference/prepare.py builds indexes for
DEFAULT_MAX_FRAGMENT_LENGTH = 800  # minimap2's sr preset
BATCH_READS = 5000  # reads or pairs per batch, and per worker task
# The unsorted BAM is an intermediate, read once by the sort: fast compression halves
# the time htslib spends writing it, for a file about 5% larger.
UNSORTED_BAM_FORMAT = "bam,level=1"
N_CODE = ord("N")
NONZERO_BYTE = re.compile(rb"[^\x00]")
COMPLEMENT = str.maketrans("ACGTNacgtnRYKMSWBDHVrykmswbdhv", "TGCANtgcanYRMKSWVHDByrmkswvhdb")

PAIRED, PROPER_PAIR, UNMAPPED, MATE_UNMAPPED = 0x1, 0x2, 0x4, 0x8
REVERSE, MATE_REVERSE, FIRST, SECOND, SUPPLEMENTARY = 0x10, 0x20, 0x40, 0x80, 0x800


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


def reverse_complement(sequence: str) -> str:
    return sequence.translate(COMPLEMENT)[::-1]


def _soft_clips(hit, read_length: int) -> tuple[int, int]:
    """The unaligned bases before and after a hit on the stored (reference-strand) read.

    mappy gives the query interval on the read as given for single reads and read 1, but
    on the reverse complement of read 2 (minimap2 turns read 2 round to pair it).
    """
    if (hit.strand > 0) == (hit.read_num == 2):
        return read_length - hit.q_en, hit.q_st
    return hit.q_st, read_length - hit.q_en


def mismatch_tags(reference, start: int, cigar: list[tuple[int, int]], query: bytes) -> tuple[str, int]:
    """SAM's MD string and NM count of an alignment, from the reference itself.

    `reference` is the upper-case sequence (uint8 array or bytes), `query` the stored
    SEQ. A base is a match when the two letters are equal (case aside) and neither is N,
    as `samtools calmd` decides; NM adds the inserted and deleted bases to the mismatches.
    """
    read = query.upper()
    reference = memoryview(reference)  # slices of it copy only the bases they cover
    md: list[str] = []
    run = edits = 0
    reference_position, read_position = start, 0
    for operation, length in cigar:
        if operation in (0, 7, 8):
            expected = reference[reference_position : reference_position + length].tobytes()
            observed = read[read_position : read_position + length]
            reference_position += length
            read_position += length
            if expected == observed and b"N" not in expected:
                run += length  # the common case
                continue
            previous = -1
            for offset in _difference_offsets(expected, observed):
                md.append(str(run + offset - previous - 1))
                md.append(chr(expected[offset]))
                run = 0
                previous = offset
                edits += 1
            run += length - previous - 1
        elif operation == 1:
            read_position += length
            edits += length
        elif operation == 2:
            md.append(str(run))
            md.append("^" + reference[reference_position : reference_position + length].tobytes().decode("ascii"))
            run = 0
            reference_position += length
            edits += length
        elif operation == 3:
            reference_position += length
        elif operation == 4:
            read_position += length
    md.append(str(run))
    return "".join(md), edits


def _difference_offsets(expected: bytes, observed: bytes) -> list[int]:
    """Offsets at which two equally long upper-case sequences differ or either holds N."""
    if b"N" in expected or b"N" in observed:
        return [i for i, (a, b) in enumerate(zip(expected, observed)) if a != b or a == N_CODE or b == N_CODE]
    # XOR of the two as integers is zero exactly where the bases agree; a regex finds
    # the other bytes in C, several times faster than numpy on a read's few bases.
    length = len(expected)
    different = (int.from_bytes(expected, "big") ^ int.from_bytes(observed, "big")).to_bytes(length, "big")
    return [match.start() for match in NONZERO_BYTE.finditer(different)]


@dataclass(frozen=True)
class _Context:
    """What building records needs: the SAM header text, the reference sequences
    (upper-case, as memoryviews by name), the read group, and the longest fragment of a
    proper pair."""

    header_text: str
    references: dict
    read_group: str
    max_fragment_length: int = DEFAULT_MAX_FRAGMENT_LENGTH


class _Placed:
    """One record of a read, before its mate fields are known: SAM's text is written
    only once the pair is linked, so no pysam object is made per record."""

    __slots__ = ("flag", "contig", "start", "end", "mapping_quality", "cigar", "sequence", "qualities", "tags")

    def __init__(self, flag, contig, start, end, mapping_quality, cigar, sequence, qualities, tags):
        self.flag = flag
        self.contig = contig
        self.start = start  # 0-based; -1 when not placed
        self.end = end
        self.mapping_quality = mapping_quality
        self.cigar = cigar
        self.sequence = sequence
        self.qualities = qualities
        self.tags = tags

    @property
    def is_unmapped(self) -> bool:
        return bool(self.flag & UNMAPPED)

    @property
    def is_reverse(self) -> bool:
        return bool(self.flag & REVERSE)


def _mapped(context: _Context, read: Read, hit, flag: int, reverse: tuple | None) -> _Placed:
    sequence, qualities = read.sequence, read.qualities
    if hit.strand < 0:
        flag |= REVERSE
        sequence, qualities = reverse
    left, right = _soft_clips(hit, len(sequence))
    cigar = [(operation, length) for length, operation in hit.cigar]
    md, edits = mismatch_tags(context.references[hit.ctg], hit.r_st, cigar, sequence[left:].encode("ascii"))
    cigar_text = (f"{left}S" if left else "") + hit.cigar_str + (f"{right}S" if right else "")
    return _Placed(flag, hit.ctg, hit.r_st, hit.r_en, hit.mapq, cigar_text, sequence, qualities, [f"NM:i:{edits}", f"MD:Z:{md}"])


def _read_records(context: _Context, read: Read, hits, flag: int) -> list[_Placed]:
    """Primary (or unmapped) record first, then supplementary ones, each part of a
    chimeric read listing the others in its SA tag."""
    hits = [hit for hit in hits if hit.is_primary]
    if not hits:
        return [_Placed(flag | UNMAPPED, "*", -1, -1, 0, "*", read.sequence, read.qualities, [])]
    reverse = None
    if any(hit.strand < 0 for hit in hits):
        reverse = (reverse_complement(read.sequence), read.qualities[::-1] if read.qualities else read.qualities)
    records = [_mapped(context, read, hits[0], flag, reverse)]
    records += [_mapped(context, read, hit, flag | SUPPLEMENTARY, reverse) for hit in hits[1:]]
    if len(records) > 1:
        parts = [
            f"{r.contig},{r.start + 1},{'-' if r.is_reverse else '+'},{r.cigar},{r.mapping_quality},{r.tags[0][5:]}"
            for r in records
        ]
        for index, record in enumerate(records):
            record.tags.append("SA:Z:" + "".join(part + ";" for other, part in enumerate(parts) if other != index))
    return records


def _is_proper(first: _Placed, second: _Placed, max_fragment_length: int) -> bool:
    if first.is_unmapped or second.is_unmapped or first.contig != second.contig:
        return False
    if first.is_reverse == second.is_reverse:
        return False
    forward, reverse = (second, first) if first.is_reverse else (first, second)
    if forward.start > reverse.end:
        return False  # facing away from each other
    return max(first.end, second.end) - min(first.start, second.start) <= max_fragment_length


def _sam_lines(context: _Context, name: str, records: list[_Placed], mate: _Placed | None, template_length: int) -> list[str]:
    """SAM text of a read's records; `mate` is the primary record of its mate (None for
    single reads), `template_length` that of the primary record."""
    lines = []
    for record in records:
        flag, next_contig, next_position = record.flag, "*", 0
        if mate is not None:
            if mate.is_unmapped:
                flag |= MATE_UNMAPPED
            elif mate.is_reverse:
                flag |= MATE_REVERSE
            next_contig = "=" if mate.contig == record.contig != "*" else mate.contig
            next_position = mate.start + 1
        tags = "".join("\t" + tag for tag in record.tags)
        length = 0 if flag & SUPPLEMENTARY else template_length
        lines.append(
            f"{name}\t{flag}\t{record.contig}\t{record.start + 1}\t{record.mapping_quality}\t{record.cigar}\t"
            f"{next_contig}\t{next_position}\t{length}\t{record.sequence or '*'}\t{record.qualities or '*'}\t"
            f"RG:Z:{context.read_group}{tags}\n"
        )
    return lines


def pair_lines(context: _Context, aligner_hits, read_1: Read, read_2: Read) -> list[str]:
    """SAM text lines of one pair from mappy's hits for it (read_num 1 or 2)."""
    aligner_hits = list(aligner_hits)
    records_1 = _read_records(context, read_1, [hit for hit in aligner_hits if hit.read_num == 1], PAIRED | FIRST)
    records_2 = _read_records(context, read_2, [hit for hit in aligner_hits if hit.read_num == 2], PAIRED | SECOND)
    primary_1, primary_2 = records_1[0], records_2[0]
    if _is_proper(primary_1, primary_2, context.max_fragment_length):
        primary_1.flag |= PROPER_PAIR
        primary_2.flag |= PROPER_PAIR
    # An unmapped read sits at its mapped mate's position, so that sorting keeps them together.
    for own, mate in ((primary_1, primary_2), (primary_2, primary_1)):
        if own.is_unmapped and not mate.is_unmapped:
            own.contig, own.start = mate.contig, mate.start
    template_length = 0
    if not (primary_1.is_unmapped or primary_2.is_unmapped) and primary_1.contig == primary_2.contig:
        span = max(primary_1.end, primary_2.end) - min(primary_1.start, primary_2.start)
        # The leftmost read is positive; on a tie, read 1.
        template_length = span if primary_1.start <= primary_2.start else -span
    return (
        _sam_lines(context, read_1.name, records_1, primary_2, template_length)
        + _sam_lines(context, read_2.name, records_2, primary_1, -template_length)
    )


def single_lines(context: _Context, aligner_hits, read: Read) -> list[str]:
    return _sam_lines(context, read.name, _read_records(context, read, list(aligner_hits), 0), None, 0)


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
    aligner: mappy.Aligner, context: _Context, folder: Path, number: int, batch: list
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


def _start_worker(aligner: mappy.Aligner, context: _Context) -> None:
    global _WORKER_STATE
    _WORKER_STATE = (aligner, context)


def _write_chunk_in_worker(folder: Path, number: int, batch: list) -> tuple[Path, AlignmentCounts]:
    return _write_chunk(*_WORKER_STATE, folder, number, batch)


def _chunks_in_order(aligner, context: _Context, folder: Path, batches: Iterator[list], processes: int) -> Iterator:
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
    context = _Context(str(header), views, sample, settings.max_fragment_length)
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
    """Coordinate-sort a BAM with samtools (in-process, through pysam) and index it."""
    pysam.sort("-@", str(max(0, threads - 1)), "-o", str(output), str(unsorted))
    pysam.index(str(output))
