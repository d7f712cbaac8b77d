"""The slow, obviously-correct reference for :mod:`kernels.bam_records`: the records
`minimap2 -a` would print for mappy's hits (see :mod:`workflows.common.alignment` for
the rules) as SAM text, one line per record, which htslib (pysam) turns into BAM.
`batch_records` gives the bytes the kernel must equal for a batch of reads."""

from __future__ import annotations

import gzip
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pysam

from workflows.common.read_files import ReadBatch

DEFAULT_MAX_FRAGMENT_LENGTH = 800  # minimap2's sr preset
COMPLEMENT = str.maketrans("ACGTNacgtnRYKMSWBDHVrykmswbdhv", "TGCANtgcanYRMKSWVHDByrmkswvhdb")

PAIRED, PROPER_PAIR, UNMAPPED, MATE_UNMAPPED = 0x1, 0x2, 0x4, 0x8
REVERSE, MATE_REVERSE, FIRST, SECOND, SUPPLEMENTARY = 0x10, 0x20, 0x40, 0x80, 0x800


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


def mismatch_tags(reference: str, start: int, cigar, query: str) -> tuple[str, int]:
    """MD and NM by walking the alignment base by base: a base matches when the two
    letters are equal (case aside) and neither is N, as `samtools calmd` decides."""
    md, run, edits, r, q = "", 0, 0, start, 0
    query = query.upper()
    for operation, length in cigar:
        if operation == 2:
            md += f"{run}^{reference[r : r + length]}"
            run, edits, r = 0, edits + length, r + length
        elif operation == 3:
            r += length
        for _ in range(length if operation not in (2, 3) else 0):
            if operation in (0, 7, 8):
                if query[q] == reference[r] and query[q] != "N":
                    run += 1
                else:
                    md += f"{run}{reference[r]}"
                    run, edits = 0, edits + 1
                r, q = r + 1, q + 1
            elif operation == 1:
                q, edits = q + 1, edits + 1
            elif operation == 4:
                q += 1
    return md + str(run), edits


@dataclass(frozen=True)
class SamContext:
    """What building records needs: the SAM header text, the reference sequences
    (upper-case text by name), the read group, and the longest fragment of a proper pair."""

    header_text: str
    references: dict
    read_group: str
    max_fragment_length: int = DEFAULT_MAX_FRAGMENT_LENGTH


class Read(NamedTuple):
    name: str
    sequence: str
    qualities: str | None


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


def _mapped(context: SamContext, read: Read, hit, flag: int, reverse: tuple | None) -> _Placed:
    sequence, qualities = read.sequence, read.qualities
    if hit.strand < 0:
        flag |= REVERSE
        sequence, qualities = reverse
    left, right = _soft_clips(hit, len(sequence))
    cigar = [(operation, length) for length, operation in hit.cigar]
    md, edits = mismatch_tags(context.references[hit.ctg], hit.r_st, cigar, sequence[left:])
    cigar_text = (f"{left}S" if left else "") + hit.cigar_str + (f"{right}S" if right else "")
    return _Placed(flag, hit.ctg, hit.r_st, hit.r_en, hit.mapq, cigar_text, sequence, qualities, [f"NM:i:{edits}", f"MD:Z:{md}"])


def _read_records(context: SamContext, read: Read, hits, flag: int) -> list[_Placed]:
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


def _sam_lines(context: SamContext, name: str, records: list[_Placed], mate: _Placed | None, template_length: int) -> list[str]:
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


def pair_lines(context: SamContext, aligner_hits, read_1: Read, read_2: Read) -> list[str]:
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


def single_lines(context: SamContext, aligner_hits, read: Read) -> list[str]:
    return _sam_lines(context, read.name, _read_records(context, read, list(aligner_hits), 0), None, 0)


def batch_records(aligner, context: SamContext, batch: ReadBatch) -> bytes:
    """The uncompressed BAM records of a batch: SAM text converted by htslib."""
    lines: list[str] = []
    for number, name in enumerate(batch.names):
        reads = [Read(name, sequences[number], qualities[number]) for sequences, qualities in zip(batch.sequences, batch.qualities)]
        hits = aligner.map(*[read.sequence for read in reads])
        lines += pair_lines(context, hits, *reads) if len(reads) == 2 else single_lines(context, hits, reads[0])
    with tempfile.TemporaryDirectory() as folder:
        sam, bam = Path(folder) / "batch.sam", Path(folder) / "batch.bam"
        sam.write_text(context.header_text + "".join(lines), encoding="utf-8")
        pysam.view("-b", "--no-PG", "-o", str(bam), str(sam), catch_stdout=False)
        return records_section(gzip.decompress(bam.read_bytes()))


def records_section(bam: bytes) -> bytes:
    """What follows the header in an uncompressed BAM file."""
    (text_length,) = struct.unpack_from("<i", bam, 4)
    at = 8 + text_length
    (sequences,) = struct.unpack_from("<i", bam, at)
    at += 4
    for _ in range(sequences):
        (name_length,) = struct.unpack_from("<i", bam, at)
        at += 4 + name_length + 4
    return bam[at:]
