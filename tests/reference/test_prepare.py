"""Preparing a reference: digests against hashlib, FASTA defects, pysam and mappy on the result, verify."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json

import mappy
import pysam
import pytest

from reference.digests import collection_digest, sha512t24u
from reference.errors import FastaFormatError, ReferenceDataError, ReferenceIntegrityError
from reference.fasta_check import READ_PIECE_BYTES, scan_fasta
from reference.prepare import (
    FASTA_NAME,
    MANIFEST_NAME,
    load_prepared,
    prepare_reference,
    quick_check,
    verify,
)

COMPLEMENT = bytes.maketrans(b"ACGT", b"TGCA")


def oracle_md5(sequence: bytes) -> str:
    return hashlib.md5(sequence.upper()).hexdigest()


def oracle_refget(sequence: bytes) -> str:
    return "SQ." + base64.urlsafe_b64encode(hashlib.sha512(sequence.upper()).digest()[:24]).decode()


def read_fasta(path) -> dict[str, bytes]:
    """A naive whole-file FASTA reader (the oracle for the streaming one)."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        text = handle.read()
    sequences: dict[str, bytes] = {}
    name = None
    for line in text.replace(b"\r", b"").split(b"\n"):
        if line.startswith(b">"):
            name = line[1:].split()[0].decode()
            sequences[name] = b""
        elif line:
            sequences[name] += line
    return sequences


@pytest.fixture
def small_fasta(tmp_path):
    path = tmp_path / "small.fa"
    path.write_bytes(
        b">chr1 first chromosome\nACGTACGTNN\nacgtRYKM\nAC\n"
        b">chr2\r\nGGGGCCCC\r\n\r\n"
        b">plasmid.1\n" + b"ACGT" * 40 + b"\n"
    )
    return path


def test_known_digest_vectors():
    # The refget specification's example and seqcol's example collection.
    assert sha512t24u(b"ACGT") == "aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2"
    names = ["chrX", "chr1", "chr2"]
    sequences = [b"TTGGGGAA", b"GGAA", b"GCGC"]
    digest = collection_digest(names, [len(s) for s in sequences], [oracle_refget(s) for s in sequences])
    assert digest == "XZlrcEGi6mlopZ2uD8ObHkQB1d0oDwKk"


def test_scan_digests_match_hashlib(small_fasta):
    expected = read_fasta(small_fasta)
    summaries = scan_fasta(small_fasta)
    assert [s.name for s in summaries] == ["chr1", "chr2", "plasmid.1"]
    assert summaries[0].description == "first chromosome"
    for summary in summaries:
        sequence = expected[summary.name]
        assert summary.length == len(sequence)
        assert summary.md5 == oracle_md5(sequence)
        assert summary.refget == oracle_refget(sequence)


def test_lines_longer_than_a_read_piece(tmp_path):
    sequence = (b"ACGTTGCA" * (READ_PIECE_BYTES // 8 + 3))[: READ_PIECE_BYTES * 2 + 17]
    path = tmp_path / "long.fa"
    path.write_bytes(b">long\n" + sequence + b"\n")
    [summary] = scan_fasta(path)
    assert summary.length == len(sequence)
    assert summary.refget == oracle_refget(sequence)


def test_prepare_writes_every_file_and_pysam_fetches(tmp_path, small_fasta):
    gzipped = tmp_path / "small.fa.gz"
    gzipped.write_bytes(gzip.compress(small_fasta.read_bytes()))
    prepared = prepare_reference(gzipped, tmp_path / "out")
    names = sorted(path.name for path in prepared.folder.iterdir())
    assert names == [FASTA_NAME, FASTA_NAME + ".fai", FASTA_NAME + ".gzi", MANIFEST_NAME, "reference.sr.mmi"]
    expected = read_fasta(small_fasta)
    with pysam.FastaFile(str(prepared.fasta)) as fasta:
        assert list(fasta.references) == ["chr1", "chr2", "plasmid.1"]
        for name, sequence in expected.items():
            assert fasta.fetch(name).encode() == sequence
        assert fasta.fetch("plasmid.1", 70, 90).encode() == expected["plasmid.1"][70:90]
    manifest = json.loads((prepared.folder / MANIFEST_NAME).read_text())
    assert manifest["sequences"][0]["md5"] == oracle_md5(expected["chr1"])
    assert manifest["collection_digest"] == collection_digest(
        list(expected), [len(s) for s in expected.values()], [oracle_refget(s) for s in expected.values()])
    assert manifest["source"]["sha256"] == hashlib.sha256(gzipped.read_bytes()).hexdigest()
    assert verify(prepared.folder).collection_digest == manifest["collection_digest"]
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]


def test_prepare_builds_requested_presets(tmp_path, small_fasta):
    prepared = prepare_reference(small_fasta, tmp_path / "out", presets=["map-ont"])
    assert prepared.minimap2_index("map-ont").is_file()
    assert prepared.minimap2_index("sr").is_file()
    with pytest.raises(ReferenceDataError, match="no minimap2 index for preset 'map-pb'"):
        prepared.minimap2_index("map-pb")


def test_unknown_preset_and_existing_output_are_refused(tmp_path, small_fasta):
    with pytest.raises(ReferenceDataError, match="unknown minimap2 preset"):
        prepare_reference(small_fasta, tmp_path / "out", presets=["asm99"])
    assert not (tmp_path / "out").exists()
    (tmp_path / "taken").mkdir()
    with pytest.raises(FileExistsError, match="taken"):
        prepare_reference(small_fasta, tmp_path / "taken")


DEFECTS = [
    ("empty.fa", b"", None, None, "the file is empty"),
    ("blank.fa", b"\n\n", None, None, "no sequences"),
    ("before.fa", b"ACGT\n>a\nACGT\n", 1, None, "sequence data before the first '>' header"),
    ("noname.fa", b">a\nACGT\n>\nACGT\n", 3, None, "header has no sequence name"),
    ("spaced.fa", b"> a\nACGT\n", 1, None, "must follow '>' directly"),
    ("badname.fa", b">*a\nACGT\n", 1, "*a", "not a legal SAM reference name"),
    ("emptyseq.fa", b">a\n>b\nACGT\n", 1, "a", "sequence has no bases"),
    ("emptylast.fa", b">a\nACGT\n>b\n\n", 3, "b", "sequence has no bases"),
    ("duplicate.fa", b">a\nACGT\n>b x\nAC\n>a\nGG\n", 5, "a", "duplicate sequence name (first used on line 1)"),
    ("illegal.fa", b">a\nACGT\nACXT\n", 3, "a", "illegal character 'X' at column 3"),
    ("gap.fa", b">a\nAC-T\n", 2, "a", "illegal character '-' at column 3"),
    ("space.fa", b">a\nACGT \n", 2, "a", "illegal character ' ' at column 5"),
    ("header.fa", b">a " + b"x" * 70_000 + b"\nACGT\n", 1, None, "header longer than 65536 bytes"),
]


@pytest.mark.parametrize(("file_name", "content", "line", "sequence", "defect"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_each_defect_is_named_with_file_line_and_sequence(tmp_path, file_name, content, line, sequence, defect):
    path = tmp_path / file_name
    path.write_bytes(content)
    with pytest.raises(FastaFormatError) as caught:
        prepare_reference(path, tmp_path / "out")
    error = caught.value
    assert defect in str(error)
    assert error.line == line and error.sequence == sequence
    assert str(error).startswith(str(path) + (f", line {line}" if line else ":"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_name], "a refused FASTA leaves nothing behind"


def test_illegal_character_column_across_read_pieces(tmp_path):
    path = tmp_path / "long.fa"
    path.write_bytes(b">a\n" + b"A" * (READ_PIECE_BYTES + 5) + b"Z\n")
    expected = f"line 2, sequence 'a': illegal character 'Z' at column {READ_PIECE_BYTES + 6}"
    with pytest.raises(FastaFormatError, match=expected):
        scan_fasta(path)


def test_corrupt_gzip_and_missing_file(tmp_path):
    path = tmp_path / "broken.fa.gz"
    path.write_bytes(gzip.compress(b"".join(b">s%d\nACGT\n" % i for i in range(1000)))[:200])
    with pytest.raises(FastaFormatError, match="not a readable gzip file"):
        prepare_reference(path, tmp_path / "out")
    with pytest.raises(FastaFormatError, match="no such file"):
        prepare_reference(tmp_path / "absent.fa", tmp_path / "out")


def test_verify_finds_changed_files(tmp_path, small_fasta):
    prepared = prepare_reference(small_fasta, tmp_path / "out")
    manifest_path = prepared.folder / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    manifest["sequences"][1]["md5"] = "0" * 32
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ReferenceIntegrityError, match="sequence 'chr2' has MD5 .*, 0{32} recorded"):
        verify(prepared.folder)


def test_verify_finds_a_replaced_sequence_file(tmp_path, small_fasta):
    prepared = prepare_reference(small_fasta, tmp_path / "out")
    changed = small_fasta.read_bytes().replace(b"GGGGCCCC", b"GGGGCCCA")
    pysam_input = tmp_path / "changed.fa"
    pysam_input.write_bytes(changed)
    prepared.fasta.unlink()
    pysam.tabix_compress(str(pysam_input), str(prepared.fasta))
    with pytest.raises(ReferenceIntegrityError) as caught:
        verify(prepared.folder)
    message = str(caught.value)
    assert "sequence 'chr2' has refget digest" in message
    assert "collection digest is" in message


def test_quick_check_finds_truncated_and_missing_files(tmp_path, small_fasta):
    prepared = prepare_reference(small_fasta, tmp_path / "out")
    index = prepared.folder / "reference.sr.mmi"
    index.write_bytes(index.read_bytes()[:100])
    (prepared.folder / (FASTA_NAME + ".gzi")).unlink()
    with pytest.raises(ReferenceIntegrityError) as caught:
        quick_check(prepared.folder)
    assert "reference.sr.mmi has 100 bytes" in str(caught.value)
    assert "reference.fa.gz.gzi is missing" in str(caught.value)
    (prepared.folder / MANIFEST_NAME).write_text("{")
    with pytest.raises(ReferenceIntegrityError, match="reference.json is not valid JSON"):
        load_prepared(prepared.folder)


@pytest.mark.peer
def test_sars_cov_2_reference_digests_fetch_and_alignment(peer_data, tmp_path):
    source = peer_data / "genomes" / "sarscov2_reference" / "reference_seq.fasta"
    genome = read_fasta(source)["MN908947"]
    prepared = prepare_reference(source, tmp_path / "sc2")
    [record] = prepared.sequences
    assert record["length"] == 29903 == len(genome)
    assert record["md5"] == oracle_md5(genome)
    # MN908947.3's identifiers as the refget servers list them (checked against hashlib above).
    assert record["md5"] == "105c82802b67521950854a851fc6eefd"
    assert record["refget"] == oracle_refget(genome) == "SQ.SyGVJg_YRedxvsjpqNdUgyyqx7lUfu_D"
    with pysam.FastaFile(str(prepared.fasta)) as fasta:
        assert fasta.fetch("MN908947", 21562, 21600).encode() == genome[21562:21600]
    aligner = mappy.Aligner(str(prepared.minimap2_index("sr")), preset="sr")
    read = genome[10_000:10_150].translate(COMPLEMENT)[::-1].decode()
    [hit] = list(aligner.map(read))
    assert (hit.ctg, hit.r_st, hit.r_en, hit.strand, hit.NM) == ("MN908947", 10_000, 10_150, -1, 0)
    verify(prepared.folder)


@pytest.mark.peer
def test_phix_reads_align_to_the_prepared_index(peer_data, tmp_path):
    folder = peer_data / "genomes" / "phix_strobealign"
    prepared = prepare_reference(folder / "phix.fasta", tmp_path / "phix")
    assert prepared.sequences[0]["name"] == "NC_001422.1"
    assert prepared.sequences[0]["description"] == "Escherichia phage phiX174, complete genome"
    aligner = mappy.Aligner(str(prepared.minimap2_index()), preset="sr")
    reads = [sequence for _, sequence, _ in mappy.fastx_read(str(folder / "phix.1.fastq"))][:200]
    mapped = sum(1 for read in reads if any(hit.ctg == "NC_001422.1" for hit in aligner.map(read)))
    assert mapped >= 0.9 * len(reads)


def test_the_compressed_copy_does_not_depend_on_threads(tmp_path, small_fasta):
    one = prepare_reference(small_fasta, tmp_path / "one", threads=1)
    three = prepare_reference(small_fasta, tmp_path / "three", threads=3)
    assert one.fasta.read_bytes() == three.fasta.read_bytes()
    assert one.manifest["files"][FASTA_NAME] == three.manifest["files"][FASTA_NAME]
