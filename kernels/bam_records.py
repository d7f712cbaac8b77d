"""BAM records (SAM specification, section 4.2) for reads aligned by minimap2, encoded
from flat arrays in one call per batch, with the record rules `minimap2 -a` follows.

Input, for a batch of templates (a pair, or a single read), as flat arrays:

- reads: `templates * mates` of them, template t's mates at `t * mates + m`; bases and
  qualities (Phred+33 text, or none: stored as 0xff) between `read_offsets[r]` and
  `read_offsets[r + 1]`; names (one per template) between `name_offsets[t]` and
  `name_offsets[t + 1]`;
- hits: the primary hits of read r (minimap2 marks the further parts of a chimeric read
  primary too) are rows `read_hits[r]` to `read_hits[r + 1]` of the hit table, in
  minimap2's order; a row holds the contig number, reference start and end, query start
  and end as minimap2 reports them (on the reverse complement of read 2), whether on the
  reverse strand, and MAPQ; hit h's CIGAR is rows `hit_cigar[h]` to `hit_cigar[h + 1]`
  of the CIGAR table (length, operation);
- the reference: contig c's upper-case bases between `contig_offsets[c]` and
  `contig_offsets[c + 1]` of `reference`, its name likewise in `contig_names`.

The rules (what :mod:`tests.naive_sam` spells out as SAM text):

- a read's first hit is its primary record, the others supplementary (0x800) and listed
  in each other's SA tags; a read without hits is kept unmapped (0x4, MAPQ 0);
- a read on the reverse strand (0x10) is stored reverse-complemented, qualities
  reversed; the unaligned ends of the read become soft clips;
- pairs: 0x1, 0x40/0x80, mate unmapped (0x8) or mate reverse (0x20), the mate's
  position; an unmapped read sits at its mapped mate's position; template length from
  the leftmost to the rightmost aligned base of the two primaries, positive on the
  leftmost (read 1 on a tie), zero on supplementary records; a proper pair (0x2) is two
  primaries on one contig, facing each other, at most `max_fragment_length` apart;
- tags RG (the read group), then for mapped records NM and MD computed from the
  reference (a base matches when the two letters agree, case aside, and neither is N,
  as `samtools calmd` decides), then SA. Integers take the smallest type that holds
  them, as htslib's SAM parser chooses, so the bytes equal htslib's conversion of the
  same SAM text.
"""

from __future__ import annotations

import numpy as np

from kernels.jit import kernel

PAIRED, PROPER_PAIR, UNMAPPED, MATE_UNMAPPED = 0x1, 0x2, 0x4, 0x8
REVERSE, MATE_REVERSE, FIRST, SECOND, SUPPLEMENTARY = 0x10, 0x20, 0x40, 0x80, 0x800
MAX_CIGAR_OPERATIONS = 0xFFFF  # n_cigar_op is 16 bits (longer ones need a CG tag)
MAX_NAME_BYTES = 254  # l_read_name (8 bits) counts the closing NUL
# Four-bit base codes of BAM's SEQ, "=ACMGRSVTWYHKDBN"; any other letter is N.
NT16 = np.full(256, 15, dtype=np.uint8)
for _code, _letter in enumerate("=ACMGRSVTWYHKDBN"):
    NT16[ord(_letter)] = NT16[ord(_letter.lower())] = _code
NT16[ord("U")] = NT16[ord("u")] = 8  # as T, as htslib reads it
COMPLEMENT = np.arange(256, dtype=np.uint8)
for _letter, _other in zip("ACGTNacgtnRYKMSWBDHVrykmswbdhv", "TGCANtgcanYRMKSWVHDByrmkswvhdb"):
    COMPLEMENT[ord(_letter)] = ord(_other)
N_CODE = ord("N")
CIGAR_LETTERS = np.frombuffer(b"MIDNSHP=X", dtype=np.uint8)
# Columns of the hit table, and of the CIGAR table (minimap2's order: length, operation).
CONTIG, START, END, QUERY_START, QUERY_END, ON_REVERSE, MAPQ = range(7)
LENGTH, OPERATION = 0, 1


@kernel
def _upper(letter):
    return letter - 32 if 97 <= letter <= 122 else letter


@kernel
def _put_int(out, at, value, size):
    for byte in range(size):
        out[at + byte] = (value >> (8 * byte)) & 0xFF
    return at + size


@kernel
def _put_decimal(out, at, value):
    if value < 0:
        out[at] = 45  # '-'
        at += 1
        value = -value
    digits = 1
    while value >= 10 ** digits:
        digits += 1
    for place in range(digits - 1, -1, -1):
        out[at + place] = 48 + value % 10
        value //= 10
    return at + digits


@kernel
def _put_bytes(out, at, source, first, last):
    for index in range(first, last):
        out[at] = source[index]
        at += 1
    return at


@kernel
def _put_integer_tag(out, at, first_letter, second_letter, value):
    """An `i` tag stored in the smallest type that holds it, as htslib does."""
    out[at] = first_letter
    out[at + 1] = second_letter
    if value >= 0:
        if value <= 0xFF:
            out[at + 2] = 67  # C
            return _put_int(out, at + 3, value, 1)
        if value <= 0xFFFF:
            out[at + 2] = 83  # S
            return _put_int(out, at + 3, value, 2)
        out[at + 2] = 73  # I
        return _put_int(out, at + 3, value, 4)
    if value >= -0x80:
        out[at + 2] = 99  # c
        return _put_int(out, at + 3, value, 1)
    if value >= -0x8000:
        out[at + 2] = 115  # s
        return _put_int(out, at + 3, value, 2)
    out[at + 2] = 105  # i
    return _put_int(out, at + 3, value, 4)


@kernel
def _region_bin(begin, end):
    """BAM's bin (SAM specification, section 5.3) of the 0-based region [begin, end)."""
    end -= 1
    if begin >> 14 == end >> 14:
        return ((1 << 15) - 1) // 7 + (begin >> 14)
    if begin >> 17 == end >> 17:
        return ((1 << 12) - 1) // 7 + (begin >> 17)
    if begin >> 20 == end >> 20:
        return ((1 << 9) - 1) // 7 + (begin >> 20)
    if begin >> 23 == end >> 23:
        return ((1 << 6) - 1) // 7 + (begin >> 23)
    if begin >> 26 == end >> 26:
        return ((1 << 3) - 1) // 7 + (begin >> 26)
    return 0


@kernel
def _soft_clips(query_start, query_end, reverse, second, length):
    """Unaligned bases before and after a hit on the stored (reference-strand) read;
    minimap2 gives read 2's query interval on its reverse complement."""
    if (not reverse) == second:
        return length - query_end, query_start
    return query_start, length - query_end


@kernel
def _put_cigar_text(out, at, left, right, cigars, first, last):
    if left:
        at = _put_decimal(out, at, left)
        out[at] = 83  # S
        at += 1
    for index in range(first, last):
        at = _put_decimal(out, at, cigars[index, LENGTH])
        out[at] = CIGAR_LETTERS[cigars[index, OPERATION]]
        at += 1
    if right:
        at = _put_decimal(out, at, right)
        out[at] = 83
        at += 1
    return at


@kernel
def _put_md(out, at, reference, reference_position, stored, read_position, cigars, first, last):
    """MD's text at `at`; returns (the position after it, NM)."""
    run = 0
    edits = 0
    for index in range(first, last):
        operation, length = cigars[index, OPERATION], cigars[index, LENGTH]
        if operation == 0 or operation == 7 or operation == 8:
            for offset in range(length):
                expected = reference[reference_position + offset]
                if expected == _upper(stored[read_position + offset]) and expected != N_CODE:
                    run += 1
                else:
                    at = _put_decimal(out, at, run)
                    out[at] = expected
                    at += 1
                    run = 0
                    edits += 1
            reference_position += length
            read_position += length
        elif operation == 1:
            read_position += length
            edits += length
        elif operation == 2:
            at = _put_decimal(out, at, run)
            out[at] = 94  # ^
            at = _put_bytes(out, at + 1, reference, reference_position, reference_position + length)
            run = 0
            reference_position += length
            edits += length
        elif operation == 3:
            reference_position += length
        elif operation == 4:
            read_position += length
    return _put_decimal(out, at, run), edits


@kernel
def _md_bound(read_length, span, operations):
    return 32 + 3 * (read_length + span) + 12 * operations


@kernel
def _sizes(mates, name_offsets, read_offsets, read_hits, hits, hit_cigar, contig_name_offsets, read_group_bytes):
    """Upper bounds of the batch's record bytes and of one MD text, and the longest read."""
    records = md = longest = 0
    for read in range(read_offsets.shape[0] - 1):
        length = read_offsets[read + 1] - read_offsets[read]
        longest = max(longest, length)
        name_bytes = name_offsets[read // mates + 1] - name_offsets[read // mates]
        fixed = 36 + name_bytes + 1 + (length + 1) // 2 + length + 4 + read_group_bytes
        first, last = read_hits[read], read_hits[read + 1]
        sa_parts = 0  # one SA part per hit: contig, position, strand, CIGAR, MAPQ, NM
        for hit in range(first, last):
            contig = hits[hit, CONTIG]
            sa_parts += contig_name_offsets[contig + 1] - contig_name_offsets[contig] + 36 + 12 * (hit_cigar[hit + 1] - hit_cigar[hit] + 2)
        records += fixed if first == last else 0
        for hit in range(first, last):
            operations = hit_cigar[hit + 1] - hit_cigar[hit]
            hit_md = _md_bound(length, hits[hit, END] - hits[hit, START], operations)
            md = max(md, hit_md)
            records += fixed + 4 * (operations + 2) + 7 + 4 + hit_md + (sa_parts + 4 if last - first > 1 else 0)
    return records, md, longest


@kernel
def _store(stored, stored_qualities, bases, qualities, first, length, reverse):
    """The read as stored: reverse-complemented, qualities reversed, on the reverse strand."""
    for index in range(length):
        if reverse:
            stored[index] = COMPLEMENT[bases[first + length - 1 - index]]
            stored_qualities[index] = qualities[first + length - 1 - index]
        else:
            stored[index] = bases[first + index]
            stored_qualities[index] = qualities[first + index]


@kernel
def _put_record_head(out, at, reference_id, position, name_bytes, mapq, bin_, cigar_operations, flag, read_length,
                     next_reference_id, next_position, template_length):
    at = _put_int(out, at, reference_id, 4)
    at = _put_int(out, at, position, 4)
    at = _put_int(out, at, name_bytes + 1, 1)
    at = _put_int(out, at, mapq, 1)
    at = _put_int(out, at, bin_, 2)
    at = _put_int(out, at, cigar_operations, 2)
    at = _put_int(out, at, flag, 2)
    at = _put_int(out, at, read_length, 4)
    at = _put_int(out, at, next_reference_id, 4)
    at = _put_int(out, at, next_position, 4)
    return _put_int(out, at, template_length, 4)


@kernel
def _put_sequence(out, at, stored, qualities, has_qualities, read_length):
    for index in range(0, read_length, 2):
        code = NT16[stored[index]] << 4
        if index + 1 < read_length:
            code |= NT16[stored[index + 1]]
        out[at] = code
        at += 1
    for index in range(read_length):
        out[at + index] = qualities[index] - 33 if has_qualities else 0xFF
    return at + read_length


@kernel
def _put_string_tag(out, at, first_letter, second_letter, source, first, last):
    out[at] = first_letter
    out[at + 1] = second_letter
    out[at + 2] = 90  # Z
    at = _put_bytes(out, at + 3, source, first, last)
    out[at] = 0
    return at + 1


@kernel
def _put_sa_tag(out, at, own, first, last, hits, hit_cigar, cigars, edits, contig_names, contig_name_offsets,
                second, length):
    """SA:Z, the read's other parts (hits `first` to `last` but `own`), each as
    `contig,position,strand,CIGAR,MAPQ,NM;`."""
    out[at], out[at + 1], out[at + 2] = 83, 65, 90  # SA Z
    at += 3
    for part in range(first, last):
        if part == own:
            continue
        contig = hits[part, CONTIG]
        at = _put_bytes(out, at, contig_names, contig_name_offsets[contig], contig_name_offsets[contig + 1])
        out[at] = 44  # ,
        at = _put_decimal(out, at + 1, hits[part, START] + 1)
        out[at], out[at + 1], out[at + 2] = 44, 45 if hits[part, ON_REVERSE] else 43, 44
        left, right = _soft_clips(hits[part, QUERY_START], hits[part, QUERY_END], hits[part, ON_REVERSE], second, length)
        at = _put_cigar_text(out, at + 3, left, right, cigars, hit_cigar[part], hit_cigar[part + 1])
        out[at] = 44
        at = _put_decimal(out, at + 1, hits[part, MAPQ])
        out[at] = 44
        at = _put_decimal(out, at + 1, edits[part - first])
        out[at] = 59  # ;
        at += 1
    out[at] = 0
    return at + 1


@kernel
def encode_records(mates, names, name_offsets, bases, qualities, has_qualities, read_offsets, read_hits, hits,
                   hit_cigar, cigars, reference, contig_offsets, contig_names, contig_name_offsets, read_group,
                   max_fragment_length):
    """All records of a batch, in input order (a pair's read 1, then read 2, each read's
    primary record first), as the bytes of a BAM file's record section; and the counts
    (reads, mapped, properly paired, supplementary records) of primary records."""
    bound, md_bound, longest = _sizes(mates, name_offsets, read_offsets, read_hits, hits, hit_cigar,
                                      contig_name_offsets, read_group.shape[0])
    out = np.empty(bound, dtype=np.uint8)
    md = np.empty(md_bound, dtype=np.uint8)
    stored = np.empty(longest, dtype=np.uint8)
    stored_qualities = np.empty(longest, dtype=np.uint8)
    counts = np.zeros(4, dtype=np.int64)
    # The primary record of each mate of the template at hand: placed or not, where, strand.
    unmapped = np.zeros(2, dtype=np.bool_)
    contig = np.full(2, -1, dtype=np.int64)
    start = np.full(2, -1, dtype=np.int64)
    end = np.full(2, -1, dtype=np.int64)
    reverse = np.zeros(2, dtype=np.bool_)
    at = 0
    for template in range(name_offsets.shape[0] - 1):
        name_first, name_last = name_offsets[template], name_offsets[template + 1]
        for mate in range(mates):
            primary = read_hits[template * mates + mate]
            unmapped[mate] = primary == read_hits[template * mates + mate + 1]
            if unmapped[mate]:
                contig[mate], start[mate], end[mate], reverse[mate] = -1, -1, -1, False
            else:
                contig[mate], start[mate], end[mate] = hits[primary, CONTIG], hits[primary, START], hits[primary, END]
                reverse[mate] = hits[primary, ON_REVERSE] != 0
        proper = False
        template_length = 0
        if mates == 2:
            if not unmapped[0] and not unmapped[1] and contig[0] == contig[1]:
                span = max(end[0], end[1]) - min(start[0], start[1])
                template_length = span if start[0] <= start[1] else -span
                if reverse[0] != reverse[1]:
                    forward, backward = (1, 0) if reverse[0] else (0, 1)
                    proper = start[forward] <= end[backward] and span <= max_fragment_length
            # An unmapped read sits at its mapped mate's position, so that sorting keeps them together.
            for mate in range(2):
                if unmapped[mate] and not unmapped[1 - mate]:
                    contig[mate], start[mate] = contig[1 - mate], start[1 - mate]
        for mate in range(mates):
            read = template * mates + mate
            first_base, length = read_offsets[read], read_offsets[read + 1] - read_offsets[read]
            flag, next_contig, next_position = 0, -1, -1
            if mates == 2:
                other = 1 - mate
                flag = PAIRED | (FIRST if mate == 0 else SECOND)
                flag |= MATE_UNMAPPED if unmapped[other] else (MATE_REVERSE if reverse[other] else 0)
                next_contig, next_position = contig[other], start[other]
            counts[0] += 1
            if unmapped[mate]:
                record = at
                at = _put_record_head(out, at + 4, contig[mate], start[mate], name_last - name_first, 0,
                                      _region_bin(start[mate], start[mate] + 1), 0, flag | UNMAPPED, length,
                                      next_contig, next_position, 0)
                at = _put_bytes(out, at, names, name_first, name_last)
                out[at] = 0
                at = _put_sequence(out, at + 1, bases[first_base:first_base + length],
                                   qualities[first_base:first_base + length], has_qualities[read], length)
                at = _put_string_tag(out, at, 82, 71, read_group, 0, read_group.shape[0])  # RG
                _put_int(out, record, at - record - 4, 4)
                continue
            first_hit, last_hit = read_hits[read], read_hits[read + 1]
            counts[1] += 1
            counts[2] += proper
            counts[3] += last_hit - first_hit - 1
            edits = np.zeros(last_hit - first_hit, dtype=np.int64)
            for rounds in range(2 if last_hit - first_hit > 1 else 1):
                # With parts (a chimeric read), a first round finds each part's NM for the SA tags.
                for hit in range(first_hit, last_hit):
                    on_reverse = hits[hit, ON_REVERSE] != 0
                    _store(stored, stored_qualities, bases, qualities, first_base, length, on_reverse)
                    left, right = _soft_clips(hits[hit, QUERY_START], hits[hit, QUERY_END], on_reverse, mate == 1, length)
                    md_end, edits[hit - first_hit] = _put_md(md, 0, reference, contig_offsets[hits[hit, CONTIG]] + hits[hit, START],
                                                             stored, left, cigars, hit_cigar[hit], hit_cigar[hit + 1])
                    if rounds == 0 and last_hit - first_hit > 1:
                        continue
                    record_flag = flag | (REVERSE if on_reverse else 0)
                    record_flag |= (PROPER_PAIR if proper else 0) if hit == first_hit else SUPPLEMENTARY
                    record = at
                    at = _put_record_head(
                        out, at + 4, hits[hit, CONTIG], hits[hit, START], name_last - name_first, hits[hit, MAPQ],
                        _region_bin(hits[hit, START], max(hits[hit, END], hits[hit, START] + 1)),
                        hit_cigar[hit + 1] - hit_cigar[hit] + (left > 0) + (right > 0), record_flag, length,
                        next_contig, next_position, (template_length if mate == 0 else -template_length) if hit == first_hit else 0)
                    at = _put_bytes(out, at, names, name_first, name_last)
                    out[at] = 0
                    at += 1
                    if left:
                        at = _put_int(out, at, (left << 4) | 4, 4)
                    for index in range(hit_cigar[hit], hit_cigar[hit + 1]):
                        at = _put_int(out, at, (cigars[index, LENGTH] << 4) | cigars[index, OPERATION], 4)
                    if right:
                        at = _put_int(out, at, (right << 4) | 4, 4)
                    at = _put_sequence(out, at, stored, stored_qualities, has_qualities[read], length)
                    at = _put_string_tag(out, at, 82, 71, read_group, 0, read_group.shape[0])  # RG
                    at = _put_integer_tag(out, at, 78, 77, edits[hit - first_hit])  # NM
                    at = _put_string_tag(out, at, 77, 68, md, 0, md_end)  # MD
                    if last_hit - first_hit > 1:
                        at = _put_sa_tag(out, at, hit, first_hit, last_hit, hits, hit_cigar, cigars, edits,
                                         contig_names, contig_name_offsets, mate == 1, length)
                    _put_int(out, record, at - record - 4, 4)
    return out[:at], counts
