"""SAM records written from mappy's hits: flags, positions, CIGAR, mate fields, NM/MD,
read groups, unmapped reads; read back by samtools (through pysam) after sorting."""

from __future__ import annotations

import numpy as np
import pysam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.simulate import random_genome
from workflows.common import alignment
from workflows.common.alignment import (
    AlignmentSettings,
    ReferenceSequence,
    align_reads,
    load_aligner,
    reference_arrays,
    sam_header,
    sort_and_index,
)
from kernels.bam_records import _put_md
from tests.naive_sam import mismatch_tags as naive_mismatch_tags
from tests.naive_sam import reverse_complement
from workflows.common.read_files import read_batches
from workflows.common.samples import reads_by_sample

GENOME = random_genome(4000, seed=3)
NAME = "contig_1"
RANDOM = random_genome(400, seed=99)  # found nowhere in GENOME


def quality(length: int) -> str:
    return "".join(chr(33 + 20 + (i % 20)) for i in range(length))


def write_fastq(path, reads):
    with open(path, "w", encoding="ascii") as fastq:
        for name, sequence in reads:
            fastq.write(f"@{name}\n{sequence}\n+\n{quality(len(sequence))}\n")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alignment_reference")
    fasta = folder / "genome.fa"
    fasta.write_text(f">{NAME}\n" + "".join(GENOME[i : i + 60] + "\n" for i in range(0, len(GENOME), 60)))
    pysam.faidx(str(fasta))
    sequences = [ReferenceSequence(NAME, len(GENOME), "0" * 32)]
    return fasta, sequences, reference_arrays(fasta, sequences), load_aligner(fasta, "sr")


def aligned(tmp_path, reference, reads_1, reads_2=None):
    """Align, sort and index; return {(name, first/second/single): record} and the counts."""
    fasta, sequences, arrays, aligner = reference
    files = [write_fastq(tmp_path / "r1.fq", reads_1)]
    if reads_2 is not None:
        files.append(write_fastq(tmp_path / "r2.fq", reads_2))
    counts = align_reads(aligner, arrays, sequences, files, tmp_path / "unsorted.bam", "sample_x", AlignmentSettings(batch_reads=2))
    sort_and_index(tmp_path / "unsorted.bam", tmp_path / "sorted.bam")
    pysam.quickcheck(str(tmp_path / "sorted.bam"))
    records = {}
    with pysam.AlignmentFile(str(tmp_path / "sorted.bam")) as bam:
        for record in bam:
            mate = "first" if record.is_read1 else "second" if record.is_read2 else "single"
            if not record.is_supplementary:
                records[record.query_name, mate] = record
    return records, counts


def check_against_reference(record):
    """MD reconstructs the reference exactly, and NM counts mismatches plus gaps."""
    segment = GENOME[record.reference_start : record.reference_end]
    assert record.get_reference_sequence().upper() == segment
    mismatches = sum(
        1 for query, ref in record.get_aligned_pairs(matches_only=True)
        if record.query_sequence[query] != GENOME[ref]
    )  # fmt: skip
    gaps = sum(length for operation, length in record.cigartuples if operation in (1, 2))
    assert record.get_tag("NM") == mismatches + gaps


def test_single_end_records(tmp_path, reference):
    mutated = GENOME[300:400]
    mutated = mutated[:10] + ("A" if mutated[10] != "A" else "C") + mutated[11:]
    reads = [
        ("forward/1", GENOME[100:200]),  # the /1 suffix is dropped
        ("reverse", reverse_complement(GENOME[500:600])),
        ("mismatch", mutated),
        ("clipped", RANDOM[:25] + GENOME[1000:1100]),
        ("deleted", GENOME[2000:2060] + GENOME[2063:2120]),
        ("unmapped", RANDOM[100:200]),
    ]
    records, counts = aligned(tmp_path, reference, reads)
    assert (counts.reads, counts.mapped, counts.paired) == (6, 5, False)
    forward = records["forward", "single"]
    assert (forward.flag, forward.reference_name, forward.reference_start, forward.cigarstring) == (0, NAME, 100, "100M")
    assert forward.get_tag("MD") == "100" and forward.get_tag("NM") == 0
    assert forward.get_tag("RG") == "sample_x" and forward.mapping_quality > 0
    assert forward.query_qualities.tolist() == [ord(c) - 33 for c in quality(100)]
    reverse = records["reverse", "single"]
    assert reverse.flag == 16 and reverse.reference_start == 500
    assert reverse.query_sequence == GENOME[500:600]  # stored on the reference strand
    assert reverse.query_qualities.tolist() == [ord(c) - 33 for c in quality(100)][::-1]
    mismatch = records["mismatch", "single"]
    assert mismatch.get_tag("NM") == 1 and mismatch.get_tag("MD") == f"10{GENOME[310]}89"
    clipped = records["clipped", "single"]
    assert clipped.cigartuples[0] == (4, 25) and clipped.reference_start == 1000
    assert clipped.query_alignment_sequence == GENOME[1000:1100]
    deleted = records["deleted", "single"]
    assert "3D" in deleted.cigarstring  # placed where the aligner prefers within a repeat
    deletion_at = deleted.reference_start + deleted.cigartuples[0][1]
    assert f"^{GENOME[deletion_at : deletion_at + 3]}" in deleted.get_tag("MD")
    unmapped = records["unmapped", "single"]
    assert unmapped.flag == 4 and unmapped.reference_id == -1 and unmapped.mapping_quality == 0
    assert unmapped.query_sequence == RANDOM[100:200]
    for record in records.values():
        if not record.is_unmapped:
            check_against_reference(record)


def test_paired_records(tmp_path, reference):
    pairs = [
        ("proper", GENOME[200:300], reverse_complement(GENOME[450:550])),
        ("swapped", reverse_complement(GENOME[1450:1550]), GENOME[1200:1300]),
        ("mate_lost", GENOME[2500:2600], RANDOM[:100]),
        ("both_lost", RANDOM[100:200], RANDOM[200:300]),
        ("read2_clipped", GENOME[3000:3100], reverse_complement(GENOME[3250:3350]) + RANDOM[300:320]),
        ("too_far", GENOME[100:200], reverse_complement(GENOME[3500:3600])),
    ]
    records, counts = aligned(tmp_path, reference, [(n, a) for n, a, _ in pairs], [(n, b) for n, _, b in pairs])
    assert (counts.reads, counts.mapped, counts.paired) == (12, 9, True)
    first, second = records["proper", "first"], records["proper", "second"]
    assert (first.flag, second.flag) == (99, 147)
    assert (first.reference_start, second.reference_start) == (200, 450)
    assert (first.next_reference_start, second.next_reference_start) == (450, 200)
    assert (first.template_length, second.template_length) == (350, -350)
    assert first.next_reference_name == NAME
    first, second = records["swapped", "first"], records["swapped", "second"]
    assert (first.flag, second.flag) == (83, 163)
    assert (first.template_length, second.template_length) == (-350, 350)
    first, second = records["mate_lost", "first"], records["mate_lost", "second"]
    assert (first.flag, second.flag) == (73, 133)
    assert second.reference_start == first.reference_start == 2500  # placed at its mate
    assert second.next_reference_start == 2500 and second.cigarstring is None
    assert first.template_length == second.template_length == 0
    first, second = records["both_lost", "first"], records["both_lost", "second"]
    assert (first.flag, second.flag) == (77, 141)
    assert first.reference_id == second.reference_id == -1
    second = records["read2_clipped", "second"]
    assert second.flag == 147 and second.cigartuples[0] == (4, 20)
    assert second.query_alignment_sequence == GENOME[3250:3350]
    first, second = records["too_far", "first"], records["too_far", "second"]
    assert not first.is_proper_pair and not second.is_proper_pair
    assert (first.flag & ~0x2, second.flag) == (97, 145)
    for record in records.values():
        if not record.is_unmapped:
            check_against_reference(record)
    # samtools reads the file back: every record, and the header we wrote.
    text = pysam.view("-h", str(tmp_path / "sorted.bam"))
    assert "@RG\tID:sample_x\tSM:sample_x" in text and f"@SQ\tSN:{NAME}\tLN:4000\tM5:" in text
    assert len([line for line in text.splitlines() if not line.startswith("@")]) == 12
    assert pysam.view("-c", "-f", "0x2", str(tmp_path / "sorted.bam")).strip() == "6"


def test_a_chimeric_read_gets_a_supplementary_record(tmp_path, reference):
    fasta, sequences, arrays, aligner = reference
    write_fastq(tmp_path / "chimera.fq", [("chimera", GENOME[100:220] + reverse_complement(GENOME[3000:3130]))])
    counts = align_reads(aligner, arrays, sequences, [tmp_path / "chimera.fq"], tmp_path / "c.bam", "s")
    assert (counts.reads, counts.mapped, counts.supplementary) == (1, 1, 1)
    with pysam.AlignmentFile(str(tmp_path / "c.bam")) as bam:
        primary, supplementary = list(bam)
    assert not primary.is_supplementary and supplementary.is_supplementary
    assert {primary.reference_start, supplementary.reference_start} == {100, 3000}
    assert primary.is_reverse != supplementary.is_reverse
    for record, other in ((primary, supplementary), (supplementary, primary)):
        strand = "-" if other.is_reverse else "+"
        assert record.get_tag("SA") == (
            f"{NAME},{other.reference_start + 1},{strand},{other.cigarstring},{other.mapping_quality},{other.get_tag('NM')};"
        )
        assert record.query_sequence == (primary.query_sequence if record.is_reverse == primary.is_reverse else reverse_complement(primary.query_sequence))
        check_against_reference(record)


def bam_text(path) -> tuple[str, list[str]]:
    with pysam.AlignmentFile(str(path)) as bam:
        return str(bam.header), [record.to_string() for record in bam]


@pytest.mark.parametrize("single_end", [False, True])
def test_records_do_not_depend_on_processes_or_batch_size(tmp_path, reference, single_end, monkeypatch):
    fasta, sequences, arrays, aligner = reference
    rng = np.random.default_rng(5)
    pairs = []
    for number in range(60):
        start = int(rng.integers(0, 3400))
        first, second = GENOME[start : start + 100], reverse_complement(GENOME[start + 250 : start + 350])
        if number % 7 == 0:
            second = RANDOM[number : number + 100]  # mate unmapped
        if number % 11 == 0:
            first = GENOME[100:170] + reverse_complement(GENOME[3000:3080])  # chimeric
        if number % 13 == 5:
            first = RANDOM[number : number + 100]
        pairs.append((f"pair{number}", first, second))
    files = [write_fastq(tmp_path / "r1.fq", [(name, one) for name, one, _ in pairs])]
    if not single_end:
        files.append(write_fastq(tmp_path / "r2.fq", [(name, two) for name, _, two in pairs]))
    outputs, worker_batches = {}, alignment.WORKER_BATCHES
    for threads, batch_reads in ((1, 5000), (1, 7), (2, 7), (3, 1), (2, 5000), (2, 3)):
        output = tmp_path / f"t{threads}_b{batch_reads}.bam"
        options = AlignmentSettings(threads=threads, batch_reads=batch_reads)
        # Batches of 3: the worker processes are replaced every 2 batches, several times.
        monkeypatch.setattr(alignment, "WORKER_BATCHES", 2 if batch_reads == 3 else worker_batches)
        counts = align_reads(aligner, arrays, sequences, files, output, "s", options)
        outputs[threads, batch_reads] = (counts, bam_text(output), output.read_bytes())
    expected_counts, expected_text, _ = outputs[1, 5000]
    assert expected_counts.supplementary > 0 and expected_counts.mapped < expected_counts.reads
    assert len(expected_text[1]) == expected_counts.reads + expected_counts.supplementary
    for counts, text, _ in outputs.values():
        assert counts == expected_counts and text == expected_text
    # The same batches give the same file, byte for byte, for any number of processes.
    assert outputs[1, 7][2] == outputs[2, 7][2] and outputs[1, 5000][2] == outputs[2, 5000][2]
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.endswith((".bam", ".fq"))) == []


@pytest.mark.parametrize("threads", [1, 2])
def test_a_read_name_too_long_for_bam_is_a_value_error(tmp_path, reference, threads):
    fasta, sequences, arrays, aligner = reference
    write_fastq(tmp_path / "long_name.fq", [("ok", GENOME[:100]), ("x" * 300, GENOME[200:300])])
    with pytest.raises(ValueError, match="read name longer than 254 bytes: xxx"):
        options = AlignmentSettings(threads=threads)
        align_reads(aligner, arrays, sequences, [tmp_path / "long_name.fq"], tmp_path / "x.bam", "s", options)
    assert not (tmp_path / "x.bam").exists()


def test_no_reads_give_a_bam_with_only_a_header(tmp_path, reference):
    fasta, sequences, arrays, aligner = reference
    write_fastq(tmp_path / "empty.fq", [])
    counts = align_reads(aligner, arrays, sequences, [tmp_path / "empty.fq"], tmp_path / "empty.bam", "s")
    assert counts.reads == 0
    header, records = bam_text(tmp_path / "empty.bam")
    assert records == [] and "@RG\tID:s\tSM:s" in header


def test_a_long_read_preset(tmp_path, reference):
    fasta, sequences, arrays, _ = reference
    long_read = GENOME[500:2500]
    long_read = long_read[:700] + long_read[703:1400] + "GATTACA" + long_read[1400:]  # a deletion and an insertion
    write_fastq(tmp_path / "long.fq", [("long", reverse_complement(long_read))])
    counts = align_reads(load_aligner(fasta, "map-ont"), arrays, sequences, [tmp_path / "long.fq"], tmp_path / "long.bam", "s")
    assert (counts.reads, counts.mapped) == (1, 1)
    with pysam.AlignmentFile(str(tmp_path / "long.bam")) as bam:
        (record,) = list(bam)
    assert record.is_reverse and record.reference_start == 500 and record.reference_end == 2500
    check_against_reference(record)
    with pytest.raises(ValueError, match="unknown preset"):
        load_aligner(fasta, "map-dna")


def test_mates_must_match(tmp_path):
    write_fastq(tmp_path / "a.fq", [("x/1", "ACGT"), ("y/1", "ACGT")])
    write_fastq(tmp_path / "b.fq", [("x/2", "ACGT"), ("z/2", "ACGT")])
    with pytest.raises(ValueError, match="record 2: read names differ"):
        list(read_batches([tmp_path / "a.fq", tmp_path / "b.fq"], 5))
    write_fastq(tmp_path / "c.fq", [("x/2", "ACGT")])
    with pytest.raises(ValueError, match="ends after 1 reads"):
        list(read_batches([tmp_path / "a.fq", tmp_path / "c.fq"], 5))


def test_header_lines():
    header = sam_header([ReferenceSequence("a", 10, "f" * 32), ReferenceSequence("b", 5)], "s1")
    assert header["SQ"] == [{"SN": "a", "LN": 10, "M5": "f" * 32}, {"SN": "b", "LN": 5}]
    assert header["RG"] == [{"ID": "s1", "SM": "s1"}]


bases = st.text("ACGTN", min_size=1, max_size=1)
cigar_operations = st.lists(st.tuples(st.sampled_from([0, 1, 2, 3, 4, 7, 8]), st.integers(1, 6)), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(cigar_operations, st.data())
def test_the_kernels_mismatch_tags_equal_a_base_by_base_walk(cigar, data):
    # Neighbouring deletions would be one D in a real CIGAR; merge them.
    merged = []
    for operation, length in cigar:
        if merged and merged[-1][0] == operation == 2:
            merged[-1] = (2, merged[-1][1] + length)
        else:
            merged.append((operation, length))
    reference_length = sum(length for operation, length in merged if operation in (0, 2, 3, 7, 8))
    query_length = sum(length for operation, length in merged if operation in (0, 1, 4, 7, 8))
    reference = "".join(data.draw(st.lists(bases, min_size=reference_length + 3, max_size=reference_length + 3)))
    query = "".join(data.draw(st.lists(bases | st.sampled_from("acgtn"), min_size=query_length, max_size=query_length)))
    cigars = np.array([(length, operation) for operation, length in merged], dtype=np.int64)
    md = np.zeros(64 + 8 * (reference_length + query_length), dtype=np.uint8)
    end, edits = _put_md(md, 0, np.frombuffer(reference.encode(), dtype=np.uint8), 2,
                         np.frombuffer(query.encode(), dtype=np.uint8), 0, cigars, 0, len(merged))
    assert (md[:end].tobytes().decode(), edits) == naive_mismatch_tags(reference, 2, merged, query)


@pytest.mark.parametrize(
    "paths, expected",
    [
        (["a/x_R1.fq.gz", "a/x_R2.fq.gz"], {"x": ["a/x_R1.fq.gz", "a/x_R2.fq.gz"]}),
        (["x_2.fastq", "x_1.fastq", "y.fq"], {"x": ["x_1.fastq", "x_2.fastq"], "y": ["y.fq"]}),
        (["lonely_R1.fq"], {"lonely_R1": ["lonely_R1.fq"]}),
    ],
)
def test_samples_from_file_names(paths, expected):
    assert reads_by_sample(paths) == expected


@pytest.mark.parametrize(
    "paths, message",
    [
        ([], "at least one"),
        (["x.txt"], "should end with"),
        (["x_R1.fq", "other/x_R1.fq"], "both read 1 of sample 'x'"),
        (["x.fq", "x.fastq"], "all give sample"),
        (["a/x_R1_001.fq.gz", "a/x_R2_001.fq.gz", "x.fq"], "all give sample 'x'"),
    ],
)
def test_bad_sample_files(paths, message):
    with pytest.raises(ValueError, match=message):
        reads_by_sample(paths)


# The consensus helper (pure: reference bytes, depth array, variants).


@pytest.mark.parametrize(
    "variants, min_depth, expected, applied",
    [
        ([], 0, "ACGTACGTAC", 0),
        ([(2, "G", "T")], 0, "ACTTACGTAC", 1),
        ([(2, "G", "T")], 5, "NNNTACGTAN", 0),  # positions 0-2 have depth 4: masked, variant dropped
        ([(4, "ACG", "A")], 5, "NNNTATAN", 1),  # a deletion
        ([(5, "C", "CTTT")], 5, "NNNTACTTTGTAN", 1),  # an insertion
        ([(4, "ACG", "A"), (5, "C", "G")], 5, "NNNTATAN", 1),  # overlapping the deletion: left out
        ([(9, "C", "G")], 5, "NNNTACGTAN", 0),  # no depth at the last base
    ],
)
def test_consensus_sequence(variants, min_depth, expected, applied):
    from workflows.common.consensus import consensus_sequence

    depth = np.array([4, 4, 4, 9, 9, 9, 9, 9, 9, 0], dtype=np.int32)
    result = consensus_sequence(b"acgtACGTAC", depth, variants, min_depth, "s")
    assert (result.sequence, result.applied) == (expected, applied)


def test_consensus_refuses_a_ref_that_differs_from_the_reference():
    from workflows.common.consensus import consensus_sequence

    with pytest.raises(ValueError, match="REF T differs"):
        consensus_sequence(b"ACGT", np.full(4, 9, dtype=np.int32), [(0, "T", "G")], 1, "s")


def test_an_alignment_too_long_for_bam_names_its_read(tmp_path, reference, monkeypatch):
    """BAM counts CIGAR operations in 16 bits; here the limit is lowered to 3 so that a
    read with a deletion (three operations, two more for clips) goes past it."""
    fasta, sequences, arrays, aligner = reference
    deleted = GENOME[2000:2060] + GENOME[2063:2120]
    write_fastq(tmp_path / "r.fq", [("plain", GENOME[100:200]), ("gapped", deleted), ("after", GENOME[300:400])])
    monkeypatch.setattr(alignment, "MAX_CIGAR_OPERATIONS", 3)
    with pytest.raises(ValueError, match="read gapped: an alignment of 3 CIGAR operations is too long for BAM"):
        align_reads(aligner, arrays, sequences, [tmp_path / "r.fq"], tmp_path / "x.bam", "s")
