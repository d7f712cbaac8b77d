"""The reference registry: add, list, show, resolve, remove, immutability, checks, concurrency."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

from reference.errors import (
    FastaFormatError,
    InvalidReferenceRequest,
    ReferenceExists,
    ReferenceIntegrityError,
    ReferenceNotFound,
)
from reference.prepare import FASTA_NAME, MANIFEST_NAME
from reference.registry import ENTRY_NAME, ReferenceRegistry, parse_spec

GENOME_A = b">seq1 test genome\n" + b"ACGTTGCAAC" * 30 + b"\n>seq2\n" + b"GGCCAATT" * 20 + b"\n"
GENOME_B = b">seq1\n" + b"TTGACCAGTA" * 25 + b"\n"


@pytest.fixture
def fasta_a(tmp_path):
    path = tmp_path / "a.fa"
    path.write_bytes(GENOME_A)
    return path


@pytest.fixture
def fasta_b(tmp_path):
    path = tmp_path / "b.fa"
    path.write_bytes(GENOME_B)
    return path


@pytest.fixture
def registry(tmp_path):
    return ReferenceRegistry(tmp_path / "home")


def test_add_list_show_and_resolve_latest(registry, fasta_a, fasta_b):
    first = registry.add("phage", fasta_a, description="first", added_by="staff@hub")
    second = registry.add("phage", fasta_b)
    registry.add("other", fasta_b, version=7)
    assert (first.version, second.version) == (1, 2)
    assert first.folder == registry.base / "phage" / "1"
    assert (first.folder / FASTA_NAME).is_file() and (first.folder / ENTRY_NAME).is_file()
    assert [r.spec for r in registry.list_all()] == ["other@7", "phage@1", "phage@2"]
    assert [r.version for r in registry.versions("phage")] == [1, 2]
    shown = registry.get("phage", "1").as_dict()
    assert shown["description"] == "first" and shown["added_by"] == "staff@hub"
    assert shown["sequence_count"] == 2 and shown["total_length"] == 460
    assert shown["source_file_name"] == "a.fa"
    assert registry.resolve("phage").version == 2
    assert registry.resolve("phage@1").prepared.collection_digest == first.prepared.collection_digest
    assert registry.resolve("phage@1", full_check=True).version == 1
    assert registry.add("other", fasta_a).version == 8
    assert not list((registry.base / ".staging").iterdir())


def test_versions_are_immutable(registry, fasta_a, fasta_b):
    registry.add("phage", fasta_a, version=3)
    with pytest.raises(ReferenceExists, match="reference phage@3 already exists; versions are immutable"):
        registry.add("phage", fasta_b, version="3")
    assert registry.get("phage", 3).prepared.sequences[0]["name"] == "seq1"
    assert registry.get("phage", 3).prepared.manifest["total_length"] == 460


@pytest.mark.parametrize("name", ["", "-x", ".hidden", "a/b", "a@b", "x" * 65, "sp ace", "..", "é"])
def test_bad_names_are_refused(registry, fasta_a, name):
    with pytest.raises(InvalidReferenceRequest, match="invalid reference name"):
        registry.add(name, fasta_a)


@pytest.mark.parametrize("version", ["0", "-1", "1.0", "v2", "", "1234567890", "\u00b2", " 1"])
def test_bad_versions_are_refused(registry, fasta_a, version):
    with pytest.raises(InvalidReferenceRequest, match="invalid reference version"):
        registry.add("phage", fasta_a, version=version)


def test_spec_parsing():
    assert parse_spec("phage") == ("phage", None)
    assert parse_spec("MN908947.3@12") == ("MN908947.3", 12)
    for bad in ("phage@", "@1", "phage@x", "a@1@2"):
        with pytest.raises(InvalidReferenceRequest):
            parse_spec(bad)


def test_not_found(registry, fasta_a):
    with pytest.raises(ReferenceNotFound, match="no reference named 'absent'"):
        registry.resolve("absent")
    registry.add("phage", fasta_a)
    with pytest.raises(ReferenceNotFound, match="no reference phage@2"):
        registry.resolve("phage@2")
    with pytest.raises(ReferenceNotFound, match="no reference phage@2"):
        registry.remove("phage", 2)
    with pytest.raises(ReferenceNotFound):
        registry.versions("absent")


def test_a_bad_fasta_registers_nothing(registry, tmp_path):
    bad = tmp_path / "bad.fa"
    bad.write_bytes(b">a\nACGT\n>a\nACGT\n")
    with pytest.raises(FastaFormatError, match="duplicate sequence name"):
        registry.add("phage", bad)
    assert registry.list_all() == []
    assert not list((registry.base / ".staging").iterdir())


def test_remove_one_version(registry, fasta_a, fasta_b):
    registry.add("phage", fasta_a)
    registry.add("phage", fasta_b)
    registry.remove("phage", 2)
    assert [r.spec for r in registry.list_all()] == ["phage@1"]
    assert registry.resolve("phage").version == 1
    registry.remove("phage", "1")
    assert registry.list_all() == []
    assert not (registry.base / "phage").exists()
    # A removed version number may be used again: the old content is gone.
    assert registry.add("phage", fasta_b).version == 1


def test_resolve_checks_sizes_and_touched_files(registry, fasta_a):
    added = registry.add("phage", fasta_a)
    index = added.folder / "reference.sr.mmi"
    with open(index, "ab") as handle:
        handle.write(b"x")
    with pytest.raises(ReferenceIntegrityError, match="reference.sr.mmi has .* bytes"):
        registry.resolve("phage")

    other = registry.add("other", fasta_a)
    stored = other.folder / FASTA_NAME
    content = bytearray(stored.read_bytes())
    content[-40] ^= 0xFF  # same size, different bytes: only the modification time tells
    stored.write_bytes(bytes(content))
    with pytest.raises(ReferenceIntegrityError, match="reference.fa.gz has SHA-256"):
        registry.resolve("other")


def test_touched_but_unchanged_files_pass(registry, fasta_a):
    added = registry.add("phage", fasta_a)
    manifest = added.folder / MANIFEST_NAME
    os.utime(manifest, ns=(1, 1))
    assert registry.resolve("phage").version == 1


def test_full_check_on_demand(registry, fasta_a):
    added = registry.add("phage", fasta_a)
    manifest_path = added.folder / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    stat = manifest_path.stat()
    manifest["sequences"][0]["refget"] = "SQ." + "A" * 32
    text = json.dumps(manifest, indent=2) + "\n"
    assert len(text) == stat.st_size  # the cheap check cannot see this change
    manifest_path.write_text(text)
    os.utime(manifest_path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert registry.resolve("phage").version == 1
    with pytest.raises(ReferenceIntegrityError, match="sequence 'seq1' has refget digest"):
        registry.resolve("phage", full_check=True)


def test_concurrent_adds_of_one_version_never_mix(registry, fasta_a, fasta_b):
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def add(path):
        barrier.wait()
        try:
            outcomes.append(registry.add("phage", path, version=1))
        except ReferenceExists as error:
            outcomes.append(error)

    threads = [threading.Thread(target=add, args=(path,)) for path in (fasta_a, fasta_b, fasta_a, fasta_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if not isinstance(o, ReferenceExists)]
    assert len(winners) == 1 and len(outcomes) == 4
    registry.resolve("phage@1", full_check=True)
    assert not list((registry.base / ".staging").iterdir())


def _add_in_process(root, path):
    return ReferenceRegistry(root).add("phage", path).version


def test_concurrent_adds_in_processes_take_distinct_versions(tmp_path, fasta_a, fasta_b):
    root = tmp_path / "home"
    with ProcessPoolExecutor(2) as pool:
        versions = list(pool.map(_add_in_process, [root] * 4, [fasta_a, fasta_b, fasta_a, fasta_b]))
    assert sorted(versions) == [1, 2, 3, 4]
    for version in versions:
        ReferenceRegistry(root).resolve(f"phage@{version}", full_check=True)


def test_add_sweeps_what_killed_processes_left(registry, fasta_a, fasta_b):
    registry.add("phage", fasta_a)
    staging = registry.base / ".staging"
    stale, fresh = staging / "stale", staging / "fresh"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "reference.fa.gz").write_bytes(b"partial")
    os.utime(stale, (0, 0))
    registry.add("phage", fasta_b)
    assert not stale.exists() and fresh.exists()
