"""`lsdih fastq stats` as a user runs it: a real process on files the test writes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reference.simulate import SimulationSettings, random_genome, simulate_reads
from tests.conftest import PROJECT_ROOT
from tests.naive import naive_fastq_profile


def lsdih(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "fastq", "stats", *args],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("stats")
    settings = SimulationSettings(read_count=200, read_length=90, fragment_mean=80, no_call_rate=0.01, seed=11)
    return simulate_reads(random_genome(5000, seed=2), folder / "r_1.fq", folder / "r_2.fq.gz", settings).paths


def plain(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def test_table_of_one_file_shows_the_naive_numbers(pair):
    result = lsdih(str(pair[0]))
    assert result.returncode == 0, result.stderr
    expected = naive_fastq_profile(pair[0].read_bytes(), "auto")
    lines = {line.split("  ")[0]: line.split()[-1] for line in result.stdout.splitlines()[1:]}
    assert lines["reads"] == f"{expected['reads']:,}"
    assert lines["bases"] == f"{expected['bases']:,}"
    assert lines["min length"] == str(expected["min_length"])
    assert lines["max length"] == str(expected["max_length"])
    assert lines["GC %"] == f"{expected['gc_percent']:.2f}"
    assert lines["Q20 %"] == f"{expected['q20_percent']:.2f}"
    assert lines["Q30 %"] == f"{expected['q30_percent']:.2f}"
    assert lines["N %"] == f"{expected['n_percent']:.2f}"
    assert lines["duplicates % (estimate)"] == f"{expected['duplicate_percent']:.2f}"
    assert result.stdout.rstrip().endswith("Sanger / Illumina 1.8+ (Phred+33)")


def test_json_of_a_pair_has_read1_and_read2_sections(pair):
    result = lsdih(str(pair[0]), str(pair[1]), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    first, second = (naive_fastq_profile(plain(path), "auto") for path in pair)
    before = report["summary"]["before_filtering"]
    assert before["total_reads"] == first["reads"] + second["reads"]
    assert before["total_bases"] == first["bases"] + second["bases"]
    assert before["q30_bases"] == first["q30_bases"] + second["q30_bases"]
    assert before["read1_mean_length"] == first["bases"] // first["reads"]
    assert before["read2_mean_length"] == second["bases"] // second["reads"]
    assert report["read1_before_filtering"]["total_bases"] == first["bases"]
    assert report["read2_before_filtering"]["q20_bases"] == second["q20_bases"]
    assert report["summary"]["sequencing"] == "paired end (90 cycles + 90 cycles)"
    assert [encoding["name"] for encoding in report["quality_encoding"]] == ["sanger", "sanger"]


def test_a_defect_is_reported_like_fastq_check(tmp_path):
    broken = tmp_path / "broken[1].fq"  # brackets are not markup
    broken.write_bytes(b"@a\nACGT\n+\nIIII\n@b\nAC\n+\nI\n")
    result = lsdih(str(broken))
    assert result.returncode == 1
    assert f"error: {broken}: FASTQ record 2 (line 5): sequence and quality lines differ in length" in result.stderr
    as_json = json.loads(lsdih(str(broken), "--json").stdout)
    assert (as_json["record"], as_json["line"]) == (2, 5)
    missing = lsdih(str(tmp_path / "no-such.fq"))
    assert missing.returncode == 1 and "no-such.fq: cannot be read" in missing.stderr


def test_quality_offset_override_and_its_conflict(tmp_path):
    reads = tmp_path / "old.fq"
    reads.write_bytes(b"@a\nACGT\n+\nhhB@\n")
    detected = json.loads(lsdih(str(reads), "--json").stdout)
    assert detected["quality_encoding"][0]["name"] == "illumina-1.3"
    assert detected["summary"]["before_filtering"]["q20_bases"] == 2
    forced = json.loads(lsdih(str(reads), "--json", "--quality-offset", "33").stdout)
    assert forced["summary"]["before_filtering"]["q20_bases"] == 4
    sanger = tmp_path / "new.fq"
    sanger.write_bytes(b"@a\nACGT\n+\nII#h\n")
    conflict = lsdih(str(sanger), "--quality-offset", "64")
    assert conflict.returncode == 1
    assert "quality character '#' is below '@'" in conflict.stderr
    assert lsdih(str(sanger), "--quality-offset", "50").returncode == 2


def test_ambiguous_encoding_is_noted(tmp_path):
    reads = tmp_path / "narrow.fq"
    reads.write_bytes(b"@a\nACGT\n+\nAAJJ\n")
    result = lsdih(str(reads))
    assert result.returncode == 0
    assert "note:" in result.stderr and "fit both Phred+33" in result.stderr


def test_a_pair_of_unequal_files_is_refused(pair, tmp_path):
    shorter = tmp_path / "short.fq"
    shorter.write_bytes(b"".join(pair[0].read_bytes().splitlines(keepends=True)[:8]))
    result = lsdih(str(pair[0]), str(shorter))
    assert result.returncode == 1 and "not a pair" in result.stderr
    assert lsdih(str(shorter), str(shorter), str(shorter)).returncode == 2
