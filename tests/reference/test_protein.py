"""Protein databases in the registry: the amino-acid check, digests against hashlib, no
minimap2 index, the kind recorded and demanded, and genomes unaffected."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json

import pysam
import pytest

from reference.digests import collection_digest
from reference.errors import FastaFormatError, InvalidReferenceRequest, ReferenceDataError, ReferenceKindMismatch
from reference.fasta_check import scan_fasta
from reference.prepare import FASTA_NAME, MANIFEST_NAME, load_prepared, prepare_reference, verify
from reference.registry import ReferenceRegistry

PROTEINS = {
    "sp|P69905|HBA_HUMAN": b"MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKL",
    "tr|Q0XYZ1|ODD": b"mkbzjuoxACDEFGHIKLMNPQRSTVWY",
}
PROTEIN_FASTA = b">sp|P69905|HBA_HUMAN Hemoglobin subunit alpha\n" + PROTEINS["sp|P69905|HBA_HUMAN"][:50] + b"\n" + \
    PROTEINS["sp|P69905|HBA_HUMAN"][50:] + b"\n>tr|Q0XYZ1|ODD\r\n" + PROTEINS["tr|Q0XYZ1|ODD"] + b"\r\n"
GENOME = b">chr1\n" + b"ACGTTGCAAC" * 20 + b"\n"


def oracle_refget(sequence: bytes) -> str:
    return "SQ." + base64.urlsafe_b64encode(hashlib.sha512(sequence.upper()).digest()[:24]).decode()


@pytest.fixture
def protein_fasta(tmp_path):
    path = tmp_path / "proteins.fa"
    path.write_bytes(PROTEIN_FASTA)
    return path


def test_protein_digests_match_hashlib(tmp_path, protein_fasta):
    prepared = prepare_reference(protein_fasta, tmp_path / "out", presets=(), kind="protein")
    assert prepared.kind == "protein" and prepared.manifest["kind"] == "protein"
    found = [(s["name"], s["length"], s["md5"], s["refget"]) for s in prepared.sequences]
    assert found == [(name, len(sequence), hashlib.md5(sequence.upper()).hexdigest(), oracle_refget(sequence))
                     for name, sequence in PROTEINS.items()]
    assert prepared.collection_digest == collection_digest(
        list(PROTEINS), [len(s) for s in PROTEINS.values()], [oracle_refget(s) for s in PROTEINS.values()])
    assert prepared.sequences[0]["description"] == "Hemoglobin subunit alpha"


def test_a_protein_reference_has_faidx_but_no_minimap2_index(tmp_path, protein_fasta):
    prepared = prepare_reference(protein_fasta, tmp_path / "out", kind="protein")
    names = sorted(path.name for path in prepared.folder.iterdir())
    assert names == [FASTA_NAME, FASTA_NAME + ".fai", FASTA_NAME + ".gzi", MANIFEST_NAME]
    assert prepared.manifest["minimap2_indexes"] == {} and "mappy" not in prepared.manifest["tools"]
    with pytest.raises(ReferenceDataError, match="a protein database has no minimap2 index"):
        prepared.minimap2_index("sr")
    with pysam.FastaFile(str(prepared.fasta)) as indexed:
        assert indexed.fetch("tr|Q0XYZ1|ODD") == PROTEINS["tr|Q0XYZ1|ODD"].decode()  # case kept
        assert indexed.fetch("sp|P69905|HBA_HUMAN", 45, 55) == PROTEINS["sp|P69905|HBA_HUMAN"][45:55].decode()
    with gzip.open(prepared.fasta, "rb") as handle:  # BGZF is gzip: the peptide search reads it so
        assert max(len(line) for line in handle.read().splitlines() if not line.startswith(b">")) == 60
    assert verify(prepared.folder).kind == "protein"


def test_presets_are_refused_for_a_protein_database(tmp_path, protein_fasta):
    with pytest.raises(ReferenceDataError, match="minimap2 indexes are built for genomes only"):
        prepare_reference(protein_fasta, tmp_path / "out", presets=("map-ont",), kind="protein")
    with pytest.raises(InvalidReferenceRequest, match="invalid reference kind 'rna'"):
        prepare_reference(protein_fasta, tmp_path / "out", kind="rna")
    assert not (tmp_path / "out").exists()


PROTEIN_DEFECTS = [
    ("stop.fa", b">p1\nMKVL\n>p2\nMKT*\n", 4, "p2", "illegal character '*' at column 4"),
    ("gap.fa", b">p1\nMK-VL\n", 2, "p1", "illegal character '-' at column 3"),
    ("digit.fa", b">p1\nMKVL\nMK1\n", 3, "p1", "illegal character '1' at column 3"),
    ("empty.fa", b">p1\nMKVL\n>p2\n", 3, "p2", "sequence has no residues"),
]


@pytest.mark.parametrize(("file_name", "content", "line", "sequence", "defect"), PROTEIN_DEFECTS,
                         ids=[d[0] for d in PROTEIN_DEFECTS])
def test_protein_defects_name_file_line_column_and_sequence(tmp_path, file_name, content, line, sequence, defect):
    path = tmp_path / file_name
    path.write_bytes(content)
    with pytest.raises(FastaFormatError) as caught:
        prepare_reference(path, tmp_path / "out", kind="protein")
    error = caught.value
    assert defect in str(error) and (error.line, error.sequence) == (line, sequence)
    assert str(error).startswith(f"{path}, line {line}")
    if "illegal" in defect:
        assert "IUPAC amino-acid codes" in str(error)
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_name]


def test_the_alphabets_differ_by_kind(tmp_path, protein_fasta):
    genome = tmp_path / "genome.fa"
    genome.write_bytes(GENOME)
    # Nucleotide letters are amino-acid codes too: a genome passes as protein text...
    assert [s.length for s in scan_fasta(genome, kind="protein")] == [200]
    # ...but amino acids are not nucleotides.
    with pytest.raises(FastaFormatError, match="illegal character 'L' at column 3: only IUPAC nucleotide codes"):
        scan_fasta(protein_fasta)
    compressed = tmp_path / "proteins.fa.gz"
    compressed.write_bytes(gzip.compress(PROTEIN_FASTA))
    assert [s.refget for s in scan_fasta(compressed, kind="protein")] == [oracle_refget(s) for s in PROTEINS.values()]


def test_genomes_record_their_kind_and_old_manifests_are_genomes(tmp_path):
    genome = tmp_path / "genome.fa"
    genome.write_bytes(GENOME)
    prepared = prepare_reference(genome, tmp_path / "out")
    assert prepared.kind == "genome" and prepared.manifest["kind"] == "genome"
    assert sorted(prepared.manifest["minimap2_indexes"]) == ["sr"] and "mappy" in prepared.manifest["tools"]
    manifest = json.loads((prepared.folder / MANIFEST_NAME).read_text())
    del manifest["kind"]  # as written before kinds existed
    (prepared.folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert load_prepared(prepared.folder).kind == "genome"


def test_the_registry_records_and_demands_the_kind(tmp_path, protein_fasta):
    registry = ReferenceRegistry(tmp_path / "home")
    genome = tmp_path / "genome.fa"
    genome.write_bytes(GENOME)
    registry.add("sars-cov-2", genome)
    added = registry.add("human", protein_fasta, kind="protein", description="UniProt subset")
    assert added.kind == "protein" and added.as_dict()["kind"] == "protein"
    assert added.as_dict()["minimap2_presets"] == []
    assert [(r.spec, r.kind) for r in registry.list_all()] == [("human@1", "protein"), ("sars-cov-2@1", "genome")]
    assert json.loads((added.folder / "entry.json").read_text())["kind"] == "protein"
    assert registry.resolve("human", kind="protein").spec == "human@1"
    assert registry.resolve("sars-cov-2", kind="genome").kind == "genome"
    assert registry.resolve("human").kind == "protein"  # no kind demanded: any
    with pytest.raises(ReferenceKindMismatch, match="^sars-cov-2@1 is a genome, this parameter needs a protein database$"):
        registry.resolve("sars-cov-2", kind="protein")
    with pytest.raises(ReferenceKindMismatch, match="^human@1 is a protein database, this parameter needs a genome$"):
        registry.resolve("human@1", kind="genome")
    with pytest.raises(InvalidReferenceRequest, match="invalid reference kind"):
        registry.resolve("human", kind="dna")
    with pytest.raises(InvalidReferenceRequest, match="invalid reference kind"):
        registry.add("x", protein_fasta, kind="dna")
    with pytest.raises(FastaFormatError, match="only IUPAC nucleotide codes"):
        registry.add("x", protein_fasta)  # a genome by default
    assert registry.names() == ["human", "sars-cov-2"]
