"""`lsdih reference add | list | show | remove`, in-process through Typer's runner."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from gateway.cli import app

GENOME = b">contig_1 a contig\n" + b"ACGTTGCAAC" * 12 + b"\nACG\n>contig_2\n" + b"TTAGGC" * 15 + b"\n"


@pytest.fixture
def fasta(tmp_path):
    path = tmp_path / "genome.fa"
    path.write_bytes(GENOME)
    return path


def lsdih(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def test_add_list_show_remove(fasta, lsdih_home):
    added = lsdih("reference", "add", "toy", fasta, "--description", "a toy genome", "--json")
    assert added.exit_code == 0, added.output
    document = json.loads(added.stdout)
    assert (document["name"], document["version"], document["sequence_count"]) == ("toy", 1, 2)
    assert document["sequences"][0]["md5"] == hashlib.md5(b"ACGTTGCAAC" * 12 + b"ACG").hexdigest()
    assert (lsdih_home / "references" / "toy" / "1" / "reference.fa.gz").is_file()

    second = lsdih("reference", "add", "toy", fasta, "--version", "5", "--preset", "map-pb")
    assert second.exit_code == 0 and "reference toy@5 added" in second.stdout

    listed = lsdih("reference", "list")
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["toy@1", "toy@5"]

    shown = lsdih("reference", "show", "toy", "--verify")
    assert shown.exit_code == 0, shown.output
    assert "toy@5  (versions: 1, 5)" in shown.stdout
    assert "every digest recomputed: OK" in shown.stdout
    assert "map-pb, sr" in shown.stdout
    shown_json = json.loads(lsdih("reference", "show", "toy@1", "--json").stdout)
    assert shown_json["versions"] == [1, 5] and shown_json["checked"] == "quick"

    removed = lsdih("reference", "remove", "toy@1")
    assert removed.exit_code == 0 and "reference toy@1 removed" in removed.stdout
    assert json.loads(lsdih("reference", "list", "--json").stdout)[0]["version"] == 5


def test_errors_and_exit_codes(fasta, tmp_path):
    assert lsdih("reference", "add", "toy", fasta).exit_code == 0
    exists = lsdih("reference", "add", "toy", fasta, "--version", "1")
    assert exists.exit_code == 2 and "toy@1 already exists" in exists.output

    bad = tmp_path / "bad.fa"
    bad.write_bytes(b">x\nACGT\n>y\nAC[N]T\n")
    defect = lsdih("reference", "add", "other", bad)
    assert defect.exit_code == 1
    assert "line 4, sequence 'y': illegal character '['" in " ".join(defect.output.split())

    assert lsdih("reference", "add", "bad/name", fasta).exit_code == 2
    assert lsdih("reference", "show", "absent").exit_code == 2
    no_version = lsdih("reference", "remove", "toy")
    assert no_version.exit_code == 2 and "toy@VERSION" in no_version.output
    assert lsdih("reference", "remove", "toy@9").exit_code == 2
    empty = lsdih("reference", "list")
    assert empty.exit_code == 0 and "toy@1" in empty.stdout


def test_show_reports_damaged_files(fasta, lsdih_home):
    assert lsdih("reference", "add", "toy", fasta).exit_code == 0
    (lsdih_home / "references" / "toy" / "1" / "reference.sr.mmi").write_bytes(b"")
    damaged = lsdih("reference", "show", "toy")
    assert damaged.exit_code == 1
    assert "reference.sr.mmi has 0 bytes" in " ".join(damaged.output.split())


def test_a_protein_database_is_added_listed_and_shown_with_its_kind(tmp_path, lsdih_home):
    proteins = tmp_path / "proteins.fa"
    proteins.write_bytes(b">sp|P1|ONE first\nMKVLAAGIKR\n>sp|P2|TWO\nMSTNPKPQRK\n")
    added = lsdih("reference", "add", "uniprot", proteins, "--kind", "protein", "--json")
    assert added.exit_code == 0, added.output
    document = json.loads(added.stdout)
    assert (document["kind"], document["minimap2_presets"]) == ("protein", [])
    assert document["sequences"][1]["md5"] == hashlib.md5(b"MSTNPKPQRK").hexdigest()
    assert not list((lsdih_home / "references" / "uniprot" / "1").glob("*.mmi"))
    genome = tmp_path / "genome.fa"
    genome.write_bytes(GENOME)
    assert lsdih("reference", "add", "toy", genome).exit_code == 0

    listed = lsdih("reference", "list")
    assert [line.split()[:2] for line in listed.stdout.splitlines()] == [["toy@1", "genome"], ["uniprot@1", "protein"]]
    assert "20 aa" in listed.stdout and "213 bp" in listed.stdout
    shown = lsdih("reference", "show", "uniprot", "--verify")
    assert shown.exit_code == 0, shown.output
    assert "kind               protein" in shown.stdout and "minimap2" not in shown.stdout
    assert "sp|P1|ONE" in shown.stdout and "10 aa" in shown.stdout
    assert json.loads(lsdih("reference", "show", "toy", "--json").stdout)["kind"] == "genome"

    stop = tmp_path / "stop.fa"
    stop.write_bytes(b">p1\nMKV*\n")
    refused = lsdih("reference", "add", "stops", stop, "--kind", "protein")
    assert refused.exit_code == 1
    assert "line 2, sequence 'p1': illegal character '*' at column 4" in " ".join(refused.output.split())
    with_preset = lsdih("reference", "add", "p", proteins, "--kind", "protein", "--preset", "map-ont")
    assert with_preset.exit_code == 2 and "genomes only" in " ".join(with_preset.output.split())
    assert lsdih("reference", "add", "p", proteins, "--kind", "rna").exit_code == 2


def test_help_is_listed():
    result = lsdih("--help")
    assert "reference" in result.stdout
    assert "IUPAC" in " ".join(lsdih("reference", "add", "--help").stdout.split())
