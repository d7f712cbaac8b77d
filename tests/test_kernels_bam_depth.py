"""Depth read straight from a BAM file's bytes (kernels.coverage.bam_records_depth via
workflows.common.bam_coverage.bam_depth) against the naive walk over the same records
and against htslib's records (pysam); the BGZF reader's checks."""

from __future__ import annotations

import struct

import pysam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.coverage import bam_records_depth
from reference.bgzf import EOF_BLOCK, compress_blocks
from tests.test_kernels_coverage import naive_depth
from workflows.common.bam_coverage import SKIPPED_FLAGS, bam_depth, bam_depth_with_htslib, bam_header_and_records

M, I, D, N, S, H, P, EQ, X = range(9)
LENGTHS = {"one": 300, "two": 5, "three": 1200}


def write_bam(path, records, lengths=LENGTHS, sort=True):
    """Records are (contig or None, start, cigar, flag, mapq); returns the sorted, indexed file."""
    header = pysam.AlignmentHeader.from_dict({"HD": {"VN": "1.6"}, "SQ": [{"SN": n, "LN": l} for n, l in lengths.items()]})
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as bam:
        for number, (contig, start, cigar, flag, mapq) in enumerate(records):
            record = pysam.AlignedSegment(header)
            record.query_name = f"r{number}"
            record.flag = flag | (0x4 if contig is None else 0)
            record.reference_name = contig
            record.reference_start = start if contig is not None else -1
            record.mapping_quality = mapq
            if cigar:
                record.cigartuples = cigar
            query_length = sum(length for operation, length in cigar if operation in (M, I, S, EQ, X))
            record.query_sequence = "A" * query_length if query_length else None
            bam.write(record)
    if not sort:
        return unsorted
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    return path


def expected_depth(records, min_mapping_quality=0, count_deletions=False):
    """samtools depth's choice of records, then the naive walk per contig."""
    chosen = [r for r in records if r[0] is not None and not r[3] & SKIPPED_FLAGS and r[4] >= min_mapping_quality and r[2]]
    return {
        name: naive_depth(length, [(start, cigar) for contig, start, cigar, _, _ in chosen if contig == name], count_deletions)
        for name, length in LENGTHS.items()
    }


cigars = st.lists(st.tuples(st.sampled_from([M, I, D, N, S, H, EQ, X]), st.integers(1, 40)), min_size=0, max_size=6)
records = st.lists(
    st.tuples(
        st.sampled_from([None, *LENGTHS]),
        st.integers(0, 1300),
        cigars,
        st.sampled_from([0, 0x10, 0x100, 0x200, 0x400, 0x800, 0x1 | 0x40]),
        st.integers(0, 60),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(records, st.sampled_from([0, 20]), st.booleans())
def test_depth_from_bytes_equals_the_naive_walk_and_htslib(tmp_path_factory, chosen, min_mapping_quality, count_deletions):
    # A placed record past its contig's end would be refused by htslib; keep starts inside.
    chosen = [(c, min(s, LENGTHS[c] - 1) if c else s, cigar, f, q) for c, s, cigar, f, q in chosen]
    path = write_bam(tmp_path_factory.mktemp("depth") / "records.bam", chosen)
    names, lengths, pieces = bam_header_and_records(path)
    kernel = bam_records_depth(lengths, pieces, SKIPPED_FLAGS, min_mapping_quality, count_deletions)
    expected = expected_depth(chosen, min_mapping_quality, count_deletions)
    htslib = {s.name: s.depth.tolist() for s in bam_depth_with_htslib(path, min_mapping_quality, count_deletions)}
    if kernel is None:  # handed to htslib: only a CIGAR shaped like CG's placeholder does that
        assert any(looks_like_cg_placeholder(cigar) for contig, _, cigar, flag, mapq in chosen
                   if contig and not flag & SKIPPED_FLAGS and mapq >= min_mapping_quality)
    else:
        assert {name: depth.tolist() for name, depth in zip(names, kernel)} == expected
    assert htslib == expected
    assert {s.name: s.depth.tolist() for s in bam_depth(path, min_mapping_quality, count_deletions)} == expected


def looks_like_cg_placeholder(cigar) -> bool:
    """kSmN with k the read's length: how BAM marks a CIGAR kept in a CG tag."""
    read_length = sum(length for operation, length in cigar if operation in (M, I, S, EQ, X))
    return len(cigar) == 2 and cigar[0] == (S, read_length) and cigar[1][0] == N


def test_an_unsorted_file_needs_no_index(tmp_path):
    chosen = [("three", 900, [(M, 50)], 0, 60), ("one", 10, [(S, 3), (M, 20)], 0, 60), ("three", 100, [(M, 5)], 0x10, 1)]
    path = write_bam(tmp_path / "unsorted.bam", chosen, sort=False)
    ours = {sequence.name: sequence.depth.tolist() for sequence in bam_depth(path)}
    assert ours == expected_depth(chosen)


def test_a_cigar_kept_in_a_cg_tag_is_read_by_htslib(tmp_path):
    long_cigar = [(M, 1), (I, 1)] * 35_000 + [(M, 1)]  # more operations than BAM's 16-bit count
    header = pysam.AlignmentHeader.from_dict({"HD": {"VN": "1.6"}, "SQ": [{"SN": n, "LN": 80_000} for n in LENGTHS]})
    with pysam.AlignmentFile(str(tmp_path / "cg.bam"), "wb", header=header) as bam:
        record = pysam.AlignedSegment(header)
        record.query_name, record.reference_id, record.reference_start, record.mapping_quality = "long", 0, 100, 60
        record.cigartuples = long_cigar
        record.query_sequence = "A" * 70_001
        bam.write(record)
    names, lengths, pieces = bam_header_and_records(tmp_path / "cg.bam")
    assert bam_records_depth(lengths, pieces, SKIPPED_FLAGS) is None  # the kernel hands it over
    pysam.index(str(tmp_path / "cg.bam"))
    (first, *_) = bam_depth(tmp_path / "cg.bam")
    assert first.depth[100:35_101].sum() == 35_001 and first.depth[99] == 0 and first.depth[35_101] == 0


def test_a_damaged_file_is_a_clear_error(tmp_path):
    path = write_bam(tmp_path / "records.bam", [("one", 5, [(M, 20)], 0, 60)] * 50)
    data = bytearray(path.read_bytes())
    data[60] ^= 0xFF  # inside the first block's deflate stream or its CRC's reach
    (tmp_path / "damaged.bam").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged.bam"):
        bam_depth(tmp_path / "damaged.bam")
    (tmp_path / "cut.bam").write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match="cut.bam: the file ends inside a BGZF block"):
        bam_depth(tmp_path / "cut.bam")
    (tmp_path / "plain.bam").write_bytes(b"BAM\1" + b"\0" * 40)
    with pytest.raises(ValueError, match="plain.bam: no BGZF block at byte 0"):
        bam_depth(tmp_path / "plain.bam")


def test_a_malformed_record_is_a_clear_error(tmp_path):
    """A record naming a sequence the header does not list, or cut short, is refused
    before the kernel reads past it."""
    header = b"BAM\1" + struct.pack("<i", 0) + struct.pack("<i", 1) + struct.pack("<i", 2) + b"a\0" + struct.pack("<i", 100)
    record = struct.pack("<iiBBHHHiiii", 5, 10, 2, 60, 0, 1, 0, 4, -1, -1, 0) + b"r\0" + struct.pack("<I", 4 << 4) + b"\x11\x11" + b"IIII"
    for name, body in (("elsewhere.bam", record), ("cut.bam", record[:20])):
        path = tmp_path / name
        path.write_bytes(compress_blocks(header + struct.pack("<i", len(body)) + body) + EOF_BLOCK)
        with pytest.raises(ValueError, match=f"{name}: .*(malformed|middle of a record)"):
            bam_depth(path)


def test_a_header_with_thousands_of_sequences(tmp_path):
    """A draft assembly: the header spans several BGZF blocks and pieces."""
    lengths = {f"contig_{number:05d}": 50 + number % 7 for number in range(3000)}
    chosen = [("contig_02999", 3, [(M, 10)], 0, 60), ("contig_00000", 0, [(M, 50)], 0, 60)]
    path = write_bam(tmp_path / "draft.bam", chosen, lengths=lengths)
    depths = {sequence.name: sequence.depth for sequence in bam_depth(path)}
    assert list(depths) == list(lengths)
    assert depths["contig_02999"].tolist() == [0] * 3 + [1] * 10 + [0] * (lengths["contig_02999"] - 13)
    assert depths["contig_00000"].sum() == 50 and depths["contig_01500"].sum() == 0
