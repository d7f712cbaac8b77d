"""The QC profile against Debian's fastp and seqtk on the same files.

Equal exactly (integers) or to the peer's printed precision (fractions):
- fastp (`-A -G -Q -L`, so nothing is trimmed; `before_filtering` compared): total
  reads and bases, Q20 and Q30 bases and rates, GC content ((G+C) / all bases), mean
  length (rounded down), cycles, and per position the mean quality and the A, C, G, T,
  N and GC shares; for a pair, the sums over both files and each file's section.
- seqtk fqchk: every column of the ALL row and of every position's row (bases, %A,
  %C, %G, %T, %N, mean quality, %low and %high at Q20), and the header's min/max/mean
  length, which seqtk takes over reads with at least one base. errQ (the mean error
  probability as a Phred score), computed from our histograms with the error
  probability capped at 0.5 as seqtk's figures show it is, agrees to within the
  last printed digit (a handful of values sit on a rounding edge).
Defined differently:
- duplication: fastp counts reads whose whole sequence its Bloom filter has seen; we
  key reads over 75 bases by their first 50 (FastQC). On reads of at most 75 bases the
  two rates agree (tested); on the 251-base SARS-CoV-2 amplicons ours is higher.
- overrepresented sequences: fastp reports them only with -p, from 1 read in 20.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kernels.fastq_profile import Profile
from reference.simulate import SimulationSettings, random_genome, simulate_reads
from workflows.common.qc_metrics import fastp_like_report, profile_file

pytestmark = pytest.mark.peer

REAL_PAIRS = {
    "phix": ("genomes/phix_strobealign/phix.1.fastq", "genomes/phix_strobealign/phix.2.fastq"),
    "fastp_testdata": ("fastp_testdata/R1.fq", "fastp_testdata/R2.fq"),
    "sarscov2": (
        "genomes/sarscov2_reads_vpipe/pos_MN908947_3_1_10000_CP022_cap512_R1.fastq.gz",
        "genomes/sarscov2_reads_vpipe/pos_MN908947_3_1_10000_CP022_cap512_R2.fastq.gz",
    ),
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("peers")
    settings = SimulationSettings(
        read_count=3000, read_length=150, fragment_mean=200, fragment_sd=60, no_call_rate=0.005, seed=21
    )
    return simulate_reads(random_genome(30_000, seed=4), folder / "sim_1.fq", folder / "sim_2.fq.gz", settings).paths


@pytest.fixture(params=[*REAL_PAIRS, "simulated"])
def pair(request, peer_data) -> tuple[Path, Path]:
    if request.param == "simulated":
        return request.getfixturevalue("simulated")
    return tuple(peer_data / path for path in REAL_PAIRS[request.param])


def fastp_report(fastp: str, paths: tuple[Path, ...], scratch: Path) -> dict:
    inputs = ["-i", str(paths[0])] + (["-I", str(paths[1])] if len(paths) == 2 else [])
    report = scratch / "fastp.json"
    command = [fastp, *inputs, "-A", "-G", "-Q", "-L", "-w", "1", "--json", str(report), "--html", str(scratch / "fastp.html")]
    subprocess.run(command, check=True, capture_output=True)
    return json.loads(report.read_text())


def assert_fastp_section(ours: dict, theirs: dict) -> None:
    for key in ("total_reads", "total_bases", "q20_bases", "q30_bases", "total_cycles"):
        assert ours[key] == theirs[key], key
    assert ours["quality_curves"]["mean"] == pytest.approx(theirs["quality_curves"]["mean"], rel=1e-5)
    for base in ("A", "T", "C", "G", "N", "GC"):
        assert ours["content_curves"][base] == pytest.approx(theirs["content_curves"][base], rel=1e-5, abs=1e-6), base


def assert_fastp_summary(ours: dict, theirs: dict) -> None:
    assert set(theirs) <= set(ours)
    for key, value in theirs.items():
        if isinstance(value, float):
            assert ours[key] == pytest.approx(value, rel=1e-5), key
        else:
            assert ours[key] == value, key


@pytest.mark.parametrize("paired", [False, True], ids=["single", "pair"])
def test_before_filtering_numbers_equal_fastps(pair, paired, peer_tool, tmp_path):
    paths = pair if paired else pair[:1]
    theirs = fastp_report(peer_tool("fastp"), paths, tmp_path)
    profiles = [profile_file(path) for path in paths]
    ours = fastp_like_report(profiles, list(paths))
    assert_fastp_summary(ours["summary"]["before_filtering"], theirs["summary"]["before_filtering"])
    for number in range(1, len(paths) + 1):
        section = f"read{number}_before_filtering"
        assert_fastp_section(ours[section], theirs[section])


def seqtk_fqchk(seqtk: str, path: Path) -> tuple[dict, list[list[str]]]:
    lines = subprocess.run([seqtk, "fqchk", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    header = dict(field.strip().split(": ") for field in lines[0].split(";") if ": " in field)
    return header, [line.split("\t") for line in lines[2:]]


def fqchk_row(label: str, bases: np.ndarray, qualities: np.ndarray) -> tuple[list[str], float]:
    """A row as seqtk prints it, but errQ, which comes back as a number."""
    count = int(bases.sum())
    scores = np.arange(qualities.size)
    low = int(qualities[:20].sum())
    error = float((qualities * np.minimum(10.0 ** (-scores / 10), 0.5)).sum()) / count
    printed = [label, str(count), *(f"{100.0 * n / count:.1f}" for n in bases)]
    printed += [f"{(qualities * scores).sum() / count:.1f}", "", f"{100.0 * low / count:.1f}", f"{100.0 * (count - low) / count:.1f}"]
    return printed, -10 * math.log10(error)


def test_every_fqchk_row_equals_seqtks(pair, peer_tool):
    for path in pair:
        header, rows = seqtk_fqchk(peer_tool("seqtk"), path)
        profile: Profile = profile_file(path, 33)
        histograms = profile.position_quality_histograms()
        bases = profile.position_bases[: profile.longest_read]
        ours = [fqchk_row("ALL", bases.sum(axis=0), histograms.sum(axis=0))]
        ours += [fqchk_row(str(position + 1), bases[position], histograms[position]) for position in range(len(histograms))]
        assert len(rows) == len(ours)
        for theirs, (printed, error_q) in zip(rows, ours):
            assert theirs[:8] + theirs[9:] == printed[:8] + printed[9:], (path.name, theirs[0])
            assert abs(float(theirs[8]) - error_q) <= 0.051, (path.name, theirs[0])
        lengths = np.flatnonzero(profile.length_histogram[1:]) + 1
        non_empty_reads = profile.reads - int(profile.length_histogram[0])
        assert int(header["min_len"]) == lengths[0] and int(header["max_len"]) == lengths[-1]
        assert header["avg_len"] == f"{profile.bases / non_empty_reads:.2f}"


def test_duplication_rate_equals_fastps_on_short_reads(peer_tool, tmp_path):
    """Reads of at most 75 bases are keyed whole, as fastp keys every read."""
    rng = np.random.default_rng(8)
    unique = ["".join(rng.choice(list("ACGT"), size=int(rng.integers(30, 76)))) for _ in range(1500)]
    reads = unique + [unique[i] for i in rng.integers(0, len(unique), 500)]
    path = tmp_path / "dups.fq"
    path.write_text("".join(f"@r{i}\n{s}\n+\n{'I' * len(s)}\n" for i, s in enumerate(reads)))
    theirs = fastp_report(peer_tool("fastp"), (path,), tmp_path)["duplication"]["rate"]
    ours = fastp_like_report([profile_file(path)], [path])["duplication"]["rate"]
    assert ours == pytest.approx(theirs, abs=1e-6)
    assert ours == pytest.approx(1 - len(set(reads)) / len(reads))
