"""The read simulator: determinism, counts, FASTQ validity, and truth in read names."""

from __future__ import annotations

import gzip
import re

import pytest

from reference.simulate import (
    ADAPTER_READ_1,
    ADAPTER_READ_2,
    SimulationSettings,
    first_fasta_sequence,
    random_genome,
    simulate_reads,
)
from tests.naive import naive_fastq_records

ORIGIN = re.compile(rb"origin=(\d+)-(\d+)([+-])")
COMPLEMENT = bytes.maketrans(b"ACGT", b"TGCA")


def read_records(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        return naive_fastq_records(handle.read())


def fragment_of(header: bytes, genome: bytes) -> bytes:
    start, end, strand = ORIGIN.search(header).groups()
    fragment = genome[int(start) : int(end)]
    return fragment.translate(COMPLEMENT)[::-1] if strand == b"-" else fragment


@pytest.mark.parametrize("suffix", [".fastq", ".fastq.gz"])
def test_same_seed_writes_the_same_bytes(tmp_path, suffix):
    genome = random_genome(2000, seed=3)
    settings = SimulationSettings(read_count=300, seed=11)
    first = simulate_reads(genome, tmp_path / f"a_1{suffix}", tmp_path / f"a_2{suffix}", settings)
    second = simulate_reads(genome, tmp_path / f"b_1{suffix}", tmp_path / f"b_2{suffix}", settings)
    other_seed = SimulationSettings(read_count=300, seed=12)
    third = simulate_reads(genome, tmp_path / f"c_1{suffix}", None, other_seed)
    for left, right in zip(first.paths, second.paths):
        assert left.read_bytes() == right.read_bytes()
    assert first.paths[0].read_bytes() != third.paths[0].read_bytes()
    assert first.substitutions == second.substitutions


def test_random_genome_is_seeded_and_has_the_gc_content():
    genome = random_genome(100_000, seed=5, gc_content=0.6)
    assert genome == random_genome(100_000, seed=5, gc_content=0.6)
    assert set(genome) == set("ACGT")
    assert (genome.count("G") + genome.count("C")) / len(genome) == pytest.approx(0.6, abs=0.01)


def test_paired_files_hold_matching_valid_records(tmp_path):
    genome = random_genome(5000, seed=1)
    settings = SimulationSettings(read_count=250, read_length=75, no_call_rate=0.01)
    result = simulate_reads(genome, tmp_path / "r_1.fq.gz", tmp_path / "r_2.fq", settings)
    first, second = (read_records(path) for path in result.paths)
    assert result.reads == len(first) == len(second) == 250
    assert result.bases == sum(len(sequence) for _, sequence, _ in first + second) == 2 * 250 * 75
    for (name_1, _, qualities), (name_2, _, _) in zip(first, second):
        assert name_1.split()[0].removesuffix(b"/1") == name_2.split()[0].removesuffix(b"/2")
        assert min(qualities) >= 33 + 2 and max(qualities) <= 33 + 41


def test_substitutions_match_the_genome_and_the_rate(tmp_path):
    genome = random_genome(20_000, seed=2)
    settings = SimulationSettings(
        read_count=2000, read_length=100, fragment_mean=400, fragment_sd=20, substitution_rate=0.01
    )
    result = simulate_reads(genome, tmp_path / "reads.fastq", None, settings)
    mismatches = 0
    for header, sequence, _ in read_records(result.paths[0]):
        truth = fragment_of(header, genome.encode())[: len(sequence)]
        mismatches += sum(read != true for read, true in zip(sequence, truth))
    assert mismatches == result.substitutions
    assert mismatches / result.bases == pytest.approx(0.01, rel=0.15)


def test_short_fragments_read_through_into_the_adapter(tmp_path):
    genome = random_genome(3000, seed=4)
    settings = SimulationSettings(
        read_count=100, read_length=150, fragment_mean=60, fragment_sd=5, substitution_rate=0.0
    )
    result = simulate_reads(genome, tmp_path / "r1.fq", tmp_path / "r2.fq", settings)
    for path, adapter, mate in zip(result.paths, (ADAPTER_READ_1, ADAPTER_READ_2), (1, 2)):
        for header, sequence, _ in read_records(path):
            fragment = fragment_of(header, genome.encode())
            if mate == 2:
                fragment = fragment.translate(COMPLEMENT)[::-1]
            assert len(sequence) == 150
            assert sequence.startswith(fragment + adapter)


def test_without_read_through_short_fragments_give_short_reads(tmp_path):
    genome = random_genome(3000, seed=4)
    settings = SimulationSettings(
        read_count=50, read_length=150, fragment_mean=60, fragment_sd=5, adapter_read_through=False
    )
    result = simulate_reads(genome, tmp_path / "r.fq", None, settings)
    lengths = [len(sequence) for _, sequence, _ in read_records(result.paths[0])]
    assert max(lengths) < 150 and sum(lengths) == result.bases


def test_first_fasta_sequence(tmp_path):
    fasta = tmp_path / "genome.fa"
    fasta.write_text(">chr1 test\nacgt\nNNAC\n>chr2\nGGGG\n")
    assert first_fasta_sequence(fasta) == "ACGTNNAC"
