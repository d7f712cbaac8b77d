"""Reads aligned with minimap2 (through mappy) and written as SAM/BAM records with pysam.

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

Reads are mapped in batches by a thread pool (mappy releases the GIL); records are
written in input order.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mappy
import numpy as np
import pysam

from workflows.common.read_files import Read, fastq_reads, read_pairs

PRESETS = ("sr", "map-ont", "map-pb", "map-hifi")  # those reference/prepare.py builds indexes for
DEFAULT_MAX_FRAGMENT_LENGTH = 800  # minimap2's sr preset
BATCH_READS = 2000
N_CODE = ord("N")
CIGAR_LETTERS = "MIDNSHP=X"
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


def _hit_cigar(hit, read_length: int) -> list[tuple[int, int]]:
    """pysam cigartuples for a hit, with the unaligned ends of the read as soft clips.

    mappy gives the query interval on the read as given for single reads and read 1, but
    on the reverse complement of read 2 (minimap2 turns read 2 round to pair it).
    """
    forward_clips = (hit.q_st, read_length - hit.q_en)
    if (hit.strand > 0) == (hit.read_num == 2):
        forward_clips = forward_clips[::-1]
    left, right = forward_clips
    cigar = [(operation, length) for length, operation in hit.cigar]
    if left:
        cigar.insert(0, (4, left))
    if right:
        cigar.append((4, right))
    return cigar


def mismatch_tags(reference: np.ndarray, start: int, cigar: list[tuple[int, int]], query: bytes) -> tuple[str, int]:
    """SAM's MD string and NM count of an alignment, from the reference itself.

    `reference` is the upper-case sequence as uint8, `query` the stored SEQ. A base is a
    match when the two letters are equal (case aside) and neither is N, as `samtools
    calmd` decides; NM adds the inserted and deleted bases to the mismatches.
    """
    read = np.frombuffer(query.upper(), dtype=np.uint8)
    md: list[str] = []
    run = edits = 0
    reference_position, read_position = start, 0
    for operation, length in cigar:
        if operation in (0, 7, 8):
            expected = reference[reference_position : reference_position + length]
            observed = read[read_position : read_position + length]
            reference_position += length
            read_position += length
            segment = expected.tobytes()
            if segment == observed.tobytes() and b"N" not in segment:
                run += length  # the common case, without building arrays
                continue
            different = (expected != observed) | (expected == N_CODE) | (observed == N_CODE)
            previous = -1
            for offset in np.flatnonzero(different).tolist():
                md.append(str(run + offset - previous - 1))
                md.append(chr(expected[offset]))
                run = 0
                previous = offset
            run += length - previous - 1
            edits += int(different.sum())
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


@dataclass(frozen=True)
class _Context:
    """What building records needs: the header, the reference sequences (upper-case
    uint8 by name), the read group, and the longest fragment of a proper pair."""

    header: pysam.AlignmentHeader
    references: dict
    read_group: str
    max_fragment_length: int = DEFAULT_MAX_FRAGMENT_LENGTH


def _record(context: _Context, read: Read, flag: int, position: tuple, cigar: str = "*", tags: str = ""):
    """One record parsed by htslib from its SAM text: one parse is several times faster
    than filling an empty record field by field (each variable-length field set through
    pysam moves the record's data). Mate fields are filled in later, in place."""
    contig, start, mapping_quality = position
    line = (
        f"{read.name}\t{flag}\t{contig}\t{start + 1}\t{mapping_quality}\t{cigar}\t*\t0\t0\t"
        f"{read.sequence or '*'}\t{read.qualities or '*'}\tRG:Z:{context.read_group}{tags}"
    )
    return pysam.AlignedSegment.fromstring(line, context.header)


def _mapped_record(context: _Context, read: Read, hit, flag: int):
    if hit.strand < 0:
        flag |= REVERSE
        read = Read(read.name, reverse_complement(read.sequence), read.qualities[::-1] if read.qualities else read.qualities)
    cigar = _hit_cigar(hit, len(read.sequence))
    cigar_text = "".join(f"{length}{CIGAR_LETTERS[operation]}" for operation, length in cigar)
    md, edits = mismatch_tags(context.references[hit.ctg], hit.r_st, cigar, read.sequence.encode("ascii"))
    return _record(context, read, flag, (hit.ctg, hit.r_st, hit.mapq), cigar_text, f"\tNM:i:{edits}\tMD:Z:{md}")


def _unmapped_record(context: _Context, read: Read, flag: int):
    return _record(context, read, flag | UNMAPPED, ("*", -1, 0))


def _sa_tag(records) -> None:
    """Each part of a chimeric read lists the other parts (SAM's SA tag)."""
    if len(records) < 2:
        return
    parts = [
        f"{r.reference_name},{r.reference_start + 1},{'-' if r.is_reverse else '+'},"
        f"{r.cigarstring},{r.mapping_quality},{r.get_tag('NM')}"
        for r in records
    ]
    for index, record in enumerate(records):
        record.set_tag("SA", "".join(part + ";" for other, part in enumerate(parts) if other != index))


def _read_records(context: _Context, read: Read, hits, flag: int) -> list:
    """Primary (or unmapped) record first, then supplementary ones."""
    hits = [hit for hit in hits if hit.is_primary]
    if not hits:
        return [_unmapped_record(context, read, flag)]
    records = [_mapped_record(context, read, hits[0], flag)]
    records += [_mapped_record(context, read, hit, flag | SUPPLEMENTARY) for hit in hits[1:]]
    _sa_tag(records)
    return records


def _is_proper(first, second, max_fragment_length: int) -> bool:
    if first.is_unmapped or second.is_unmapped or first.reference_id != second.reference_id:
        return False
    if first.is_reverse == second.is_reverse:
        return False
    forward, reverse = (second, first) if first.is_reverse else (first, second)
    if forward.reference_start > reverse.reference_end:
        return False  # facing away from each other
    span = max(first.reference_end, second.reference_end) - min(first.reference_start, second.reference_start)
    return span <= max_fragment_length


def _link_mates(records_1: list, records_2: list, max_fragment_length: int) -> None:
    primary_1, primary_2 = records_1[0], records_2[0]
    proper = _is_proper(primary_1, primary_2, max_fragment_length)
    for own, mate in ((primary_1, primary_2), (primary_2, primary_1)):
        if own.is_unmapped and not mate.is_unmapped:
            own.reference_id = mate.reference_id
            own.reference_start = mate.reference_start
    for records, mate in ((records_1, primary_2), (records_2, primary_1)):
        for record in records:
            if mate.is_unmapped:
                record.flag |= MATE_UNMAPPED
            elif mate.is_reverse:
                record.flag |= MATE_REVERSE
            record.next_reference_id = mate.reference_id
            record.next_reference_start = mate.reference_start
    if proper:
        primary_1.flag |= PROPER_PAIR
        primary_2.flag |= PROPER_PAIR
    if not (primary_1.is_unmapped or primary_2.is_unmapped) and primary_1.reference_id == primary_2.reference_id:
        left = min(primary_1.reference_start, primary_2.reference_start)
        right = max(primary_1.reference_end, primary_2.reference_end)
        # The leftmost read is positive; on a tie, read 1.
        first_is_left = primary_1.reference_start <= primary_2.reference_start
        primary_1.template_length = (right - left) * (1 if first_is_left else -1)
        primary_2.template_length = -primary_1.template_length


def pair_records(context: _Context, aligner_hits, read_1: Read, read_2: Read) -> list:
    """SAM records of one pair from mappy's hits for it (read_num 1 or 2)."""
    aligner_hits = list(aligner_hits)
    hits_1 = [hit for hit in aligner_hits if hit.read_num == 1]
    hits_2 = [hit for hit in aligner_hits if hit.read_num == 2]
    records_1 = _read_records(context, read_1, hits_1, PAIRED | FIRST)
    records_2 = _read_records(context, read_2, hits_2, PAIRED | SECOND)
    _link_mates(records_1, records_2, context.max_fragment_length)
    return records_1 + records_2


def single_records(context: _Context, aligner_hits, read: Read) -> list:
    return _read_records(context, read, list(aligner_hits), 0)


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _mapped_in_order(function, batches: Iterator[list], threads: int) -> Iterator:
    """`function` over the batches on a thread pool, results in input order, with at
    most two batches per thread in flight so memory stays bounded."""
    threads = max(1, threads)
    if threads == 1:
        yield from map(function, batches)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending = deque()
        for batch in batches:
            pending.append(pool.submit(function, batch))
            if len(pending) >= 2 * threads:
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
    context = _Context(header, references, sample, settings.max_fragment_length)
    items = read_pairs(*reads) if paired else ((read,) for read in fastq_reads(reads[0]))
    local = threading.local()

    def map_batch(batch):
        buffer = getattr(local, "buffer", None)
        if buffer is None:
            buffer = local.buffer = mappy.ThreadBuffer()
        if paired:
            return [pair_records(context, aligner.map(one.sequence, two.sequence, buf=buffer), one, two) for one, two in batch]
        return [single_records(context, aligner.map(read.sequence, buf=buffer), read) for (read,) in batch]

    counts = AlignmentCounts(paired=paired)
    with pysam.AlignmentFile(str(output), "wb", header=header) as bam:
        for results in _mapped_in_order(map_batch, _batches(items, settings.batch_reads), settings.threads):
            for records in results:
                for record in records:
                    bam.write(record)
                    if record.is_supplementary:
                        counts.supplementary += 1
                        continue
                    counts.reads += 1
                    if not record.is_unmapped:
                        counts.mapped += 1
                        counts.properly_paired += record.is_proper_pair
    return counts


def sort_and_index(unsorted: Path | str, output: Path | str, threads: int = 1) -> None:
    """Coordinate-sort a BAM with samtools (in-process, through pysam) and index it."""
    pysam.sort("-@", str(max(0, threads - 1)), "-o", str(output), str(unsorted))
    pysam.index(str(output))
