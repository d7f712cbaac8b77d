"""The align-variants workflow end to end: simulated genomes with known differences, the
real SARS-CoV-2 MiSeq pairs against Debian's minimap2 + samtools + bcftools pipeline."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest

from reference.simulate import SimulationSettings, random_genome, simulate_reads
from tests.snakemake_cli import run_snakefile

REPOSITORY = Path(__file__).resolve().parents[1]
WORKFLOW = REPOSITORY / "workflows" / "align-variants"
SNAKEFILE = WORKFLOW / "workflow" / "Snakefile"
SARS_COV_2 = Path("genomes") / "sarscov2_reads_vpipe"
SARS_COV_2_READS = ("pos_MN908947_3_1_10000_CP022_cap512_R1.fastq.gz", "pos_MN908947_3_1_10000_CP022_cap512_R2.fastq.gz")
SARS_COV_2_REFERENCE = Path("genomes") / "sarscov2_reference" / "reference_seq.fasta"

# How the committed .test/data files were made; test_committed_test_data_is_reproducible
# keeps the two in step.
TEST_GENOME = {"length": 5000, "seed": 21}
TEST_DIFFERENCES = {"seed": 5, "substitutions": 8, "insertions": 1, "deletions": 1}
TEST_READS = {
    "sample_a_R1.fastq.gz": SimulationSettings(read_count=400, read_length=100, fragment_mean=250, fragment_sd=30, seed=1),
    "sample_b.fastq.gz": SimulationSettings(read_count=500, read_length=120, fragment_mean=250, seed=2),
}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Difference:
    """A known variant, as a normalised VCF writes it: 1-based position, REF, ALT."""

    position: int
    reference: str
    alternate: str


def mutated_genome(genome: str, seed: int, substitutions: int, insertions: int, deletions: int) -> tuple[str, list[Difference]]:
    """A copy of `genome` with seeded differences at least 60 bases apart, none of them
    movable by left-alignment (so the truth is already in normalised form)."""
    rng = np.random.default_rng(seed)
    kinds = ["S"] * substitutions + ["I"] * insertions + ["D"] * deletions
    rng.shuffle(kinds)
    spacing = len(genome) // (len(kinds) + 1)
    if spacing < 60:
        raise ValueError("the genome is too short for that many differences")
    pieces, truth, done = [], [], 0
    for index, kind in enumerate(kinds, start=1):
        start = index * spacing + int(rng.integers(-10, 10))
        before = genome[start - 1]
        if kind == "S":
            alternate = "ACGT".replace(genome[start], "")[int(rng.integers(3))]
            pieces += [genome[done:start], alternate]
            truth.append(Difference(start + 1, genome[start], alternate))
            done = start + 1
        elif kind == "I":
            length = int(rng.integers(1, 5))
            inserted = "".join("ACGT"[int(i)] for i in rng.integers(0, 4, length))
            inserted = inserted[:-1] + "ACGT".replace(before, "").replace(genome[start], "")[0]  # not left-movable
            pieces += [genome[done:start], inserted]
            truth.append(Difference(start, before, before + inserted))
            done = start
        else:
            length = int(rng.integers(1, 5))
            while genome[start + length - 1] == before:  # a deletion that could move left
                start += 1
                before = genome[start - 1]
            pieces += [genome[done:start]]
            truth.append(Difference(start, before + genome[start : start + length], before))
            done = start + length
    pieces.append(genome[done:])
    return "".join(pieces), truth


def write_fasta(path: Path, name: str, sequence: str) -> Path:
    with open(path, "w", encoding="ascii") as fasta:
        fasta.write(f">{name}\n")
        for offset in range(0, len(sequence), 70):
            fasta.write(sequence[offset : offset + 70] + "\n")
    return path


def write_test_data(folder: Path) -> tuple[list[Path], Path, list[Difference]]:
    """The .test case: a reference, a paired sample with known differences and a
    single-end sample of the unchanged genome."""
    folder.mkdir(parents=True, exist_ok=True)
    genome = random_genome(**TEST_GENOME)
    variant, truth = mutated_genome(genome, **TEST_DIFFERENCES)
    reference = write_fasta(folder / "reference.fasta", "test_genome", genome)
    paired = simulate_reads(variant, folder / "sample_a_R1.fastq.gz", folder / "sample_a_R2.fastq.gz", TEST_READS["sample_a_R1.fastq.gz"])
    single = simulate_reads(genome, folder / "sample_b.fastq.gz", None, TEST_READS["sample_b.fastq.gz"])
    return [*paired.paths, *single.paths], reference, truth


run_snakemake = partial(run_snakefile, SNAKEFILE)


def called(vcf: Path) -> list[tuple[int, str, str, str]]:
    """(position, REF, ALT, GT) of every allele of a one-sample VCF."""
    rows = []
    with pysam.VariantFile(str(vcf)) as calls:
        sample = next(iter(calls.header.samples))
        for record in calls:
            genotype = "/".join(str(allele) for allele in record.samples[sample]["GT"])
            rows += [(record.pos, record.ref, alternate, genotype) for alternate in record.alts]
    return rows


def fasta_sequence(path: Path) -> str:
    return "".join(line.strip() for line in path.read_text().splitlines() if not line.startswith(">"))


def summary_rows(path: Path) -> dict[str, dict[str, str]]:
    lines = [line.split("\t") for line in path.read_text().splitlines()]
    return {row[0]: dict(zip(lines[0], row)) for row in lines[1:]}


def test_committed_test_data_is_reproducible(tmp_path):
    files, reference, _ = write_test_data(tmp_path)
    committed = WORKFLOW / ".test" / "data"
    for path in [*files, reference]:
        assert path.read_bytes() == (committed / path.name).read_bytes(), path.name


@pytest.fixture(scope="module")
def known_truth_run(tmp_path_factory):
    """Two samples of a 30 kb genome: pairs from a copy with 40 known differences
    (trimmed first), single-end reads of the unchanged genome."""
    workdir = tmp_path_factory.mktemp("align_variants_truth")
    data = workdir / "in"
    data.mkdir()
    genome = random_genome(30_000, seed=31)
    variant, truth = mutated_genome(genome, seed=8, substitutions=30, insertions=5, deletions=5)
    reference = write_fasta(data / "genome.fa", "chromosome", genome)
    paired = simulate_reads(
        variant, data / "mutant_R1.fastq.gz", data / "mutant_R2.fastq.gz",
        SimulationSettings(read_count=4000, read_length=150, fragment_mean=280, fragment_sd=60, seed=12),
    )  # fmt: skip
    single = simulate_reads(genome, data / "wild.fq", None, SimulationSettings(read_count=3000, read_length=150, seed=13))
    reads = [str(path) for path in (*paired.paths, *single.paths)]
    params = {"ploidy": 1, "trim": True, "min_depth": 5, "min_qual": 20, "min_consensus_depth": 5}
    result = run_snakemake(workdir, {"inputs": {"reads": reads, "reference": str(reference)}, "params": params})
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir, variant, truth


def test_calls_equal_the_known_differences(known_truth_run):
    workdir, _, truth = known_truth_run
    expected = [(d.position, d.reference, d.alternate, "1") for d in truth]
    assert called(workdir / "results" / "samples" / "mutant.vcf.gz") == expected
    assert called(workdir / "results" / "samples" / "wild.vcf.gz") == []


def test_consensus_is_the_mutated_genome_where_covered(known_truth_run):
    workdir, variant, truth = known_truth_run
    consensus = fasta_sequence(workdir / "results" / "samples" / "mutant.consensus.fa")
    assert len(consensus) == len(variant)
    assert all(base in ("N", expected) for base, expected in zip(consensus, variant))
    assert consensus.count("N") < len(variant) * 0.02  # only the thinly covered ends


def test_outputs_pass_samtools_and_bcftools(known_truth_run):
    workdir, _, _ = known_truth_run
    samples = workdir / "results" / "samples"
    for sample in ("mutant", "wild"):
        bam = samples / f"{sample}.bam"
        pysam.quickcheck(str(bam))
        assert (samples / f"{sample}.bam.bai").is_file()
        assert (samples / f"{sample}.vcf.gz.tbi").is_file()
        header = pysam.view("-H", str(bam))
        assert f"@RG\tID:{sample}\tSM:{sample}" in header
        assert "M5:" in header
        assert "SO:coordinate" in header
        pysam.bcftools.view("-h", str(samples / f"{sample}.vcf.gz"))


def test_depth_table_equals_samtools_depth(known_truth_run):
    workdir, _, _ = known_truth_run
    samples = workdir / "results" / "samples"
    for sample in ("mutant", "wild"):
        expected = pysam.depth("-a", str(samples / f"{sample}.bam"))
        with gzip.open(samples / f"{sample}.depth.tsv.gz", "rt") as table:
            assert table.readline() == "sequence\tposition\tdepth\n"
            assert table.read() == expected


def test_depth_with_deletions_equals_samtools_depth_j(known_truth_run):
    from workflows.common.bam_coverage import bam_depth

    workdir, _, _ = known_truth_run
    bam = workdir / "results" / "samples" / "mutant.bam"
    (sequence,) = bam_depth(bam, count_deletions=True)
    expected = [int(line.split("\t")[2]) for line in pysam.depth("-a", "-J", str(bam)).splitlines()]
    assert sequence.depth.tolist() == expected
    assert (sequence.depth > bam_depth(bam)[0].depth).any()  # the deletions do count


def test_summary_and_report(known_truth_run):
    workdir, _, truth = known_truth_run
    rows = summary_rows(workdir / "results" / "summary.tsv")
    assert list(rows) == ["mutant", "wild"]
    assert rows["mutant"]["layout"] == "paired" and rows["wild"]["layout"] == "single"
    assert int(rows["mutant"]["snvs"]) + int(rows["mutant"]["indels"]) == len(truth)
    assert float(rows["wild"]["mapped_percent"]) > 99
    assert float(rows["mutant"]["breadth_1x_percent"]) > 99
    report = (workdir / "results" / "report.html").read_text()
    assert report.count("<svg") == 2 and "<script" not in report
    assert all(f"<td>{d.position}</td>" in report for d in truth)


def test_a_registered_reference_folder_is_used_as_is(tmp_path):
    from reference.prepare import prepare_reference

    files, fasta, truth = write_test_data(tmp_path / "in")
    prepared = prepare_reference(fasta, tmp_path / "registry" / "test_genome")
    config = {
        "inputs": {"reads": [str(files[0]), str(files[1])]},
        "references": {"reference": str(prepared.folder)},
        "params": {"min_depth": 5, "reference": "test_genome@1"},
    }
    result = run_snakemake(tmp_path, config)
    assert result.returncode == 0, result.stderr[-5000:]
    assert not (tmp_path / "reference").exists()
    assert [row[:3] for row in called(tmp_path / "results" / "samples" / "sample_a.vcf.gz")] == [
        (d.position, d.reference, d.alternate) for d in truth
    ]


def test_a_run_without_a_reference_is_refused(tmp_path):
    files, _, _ = write_test_data(tmp_path / "in")
    result = run_snakemake(tmp_path, {"inputs": {"reads": [str(files[2])]}, "params": {}}, "--dry-run")
    assert result.returncode != 0
    assert "no reference: give a FASTA" in result.stdout + result.stderr


def test_a_named_reference_that_was_not_resolved_is_refused(tmp_path):
    files, _, _ = write_test_data(tmp_path / "in")
    config = {"inputs": {"reads": [str(files[2])]}, "params": {"reference": "test_genome"}}
    result = run_snakemake(tmp_path, config, "--dry-run")
    assert result.returncode != 0
    assert "was not resolved" in result.stdout + result.stderr


def debian_pipeline(tools, reference: Path, reads: list[Path], folder: Path) -> tuple[int, Path]:
    """What a bioinformatician types: minimap2 -ax sr | samtools sort; bcftools mpileup |
    bcftools call -mv; bcftools norm. Returns primary mapped reads and the VCF."""
    folder.mkdir(parents=True, exist_ok=True)
    bam, vcf = folder / "debian.bam", folder / "debian.vcf.gz"
    quiet = {"stderr": subprocess.DEVNULL}
    with subprocess.Popen([tools("minimap2"), "-ax", "sr", str(reference), *map(str, reads)], stdout=subprocess.PIPE, **quiet) as minimap2:
        subprocess.run([tools("samtools"), "sort", "-o", str(bam), "-"], stdin=minimap2.stdout, check=True, **quiet)
    assert minimap2.returncode == 0
    subprocess.run([tools("samtools"), "index", str(bam)], check=True)
    with (
        subprocess.Popen([tools("bcftools"), "mpileup", "-f", str(reference), str(bam)], stdout=subprocess.PIPE, **quiet) as mpileup,
        subprocess.Popen([tools("bcftools"), "call", "-mv"], stdin=mpileup.stdout, stdout=subprocess.PIPE, **quiet) as call,
    ):
        mpileup.stdout.close()  # call alone reads it now
        subprocess.run([tools("bcftools"), "norm", "-f", str(reference), "-Oz", "-o", str(vcf)], stdin=call.stdout, check=True, **quiet)
    assert mpileup.returncode == 0 and call.returncode == 0
    mapped = subprocess.run([tools("samtools"), "view", "-c", "-F", "0x904", str(bam)], check=True, capture_output=True, text=True)
    return int(mapped.stdout), vcf


# bcftools' own defaults: no QUAL or depth filter, as `bcftools call -mv` prints.
PEER_PARAMS = {"min_qual": 0, "min_depth": 0}


def compare_with_debian(peer_tool, reference: Path, reads: list[Path], workdir: Path, sample: str) -> list:
    result = run_snakemake(workdir, {"inputs": {"reads": [str(p) for p in reads], "reference": str(reference)}, "params": PEER_PARAMS})
    assert result.returncode == 0, result.stderr[-5000:]
    # bcftools writes a .fai beside its FASTA: give it a copy, never the shared test data.
    (workdir / "debian").mkdir()
    private = Path(shutil.copyfile(reference, workdir / "debian" / reference.name))
    debian_mapped, debian_vcf = debian_pipeline(peer_tool, private, reads, workdir / "debian")
    ours = workdir / "results" / "samples"
    mapped = int(summary_rows(workdir / "results" / "summary.tsv")[sample]["mapped_reads"])
    assert abs(mapped - debian_mapped) <= 0.005 * debian_mapped
    ours_called = called(ours / f"{sample}.vcf.gz")
    assert ours_called == called(debian_vcf)
    return ours_called


@pytest.mark.peer
def test_sars_cov_2_reads_agree_with_the_debian_pipeline(peer_data, peer_tool, tmp_path):
    reads = [peer_data / SARS_COV_2 / name for name in SARS_COV_2_READS]
    calls = compare_with_debian(peer_tool, peer_data / SARS_COV_2_REFERENCE, reads, tmp_path, "pos_MN908947_3_1_10000_CP022_cap512")
    assert calls  # the synthetic control differs from MN908947.3 at a few positions


@pytest.mark.peer
def test_orangutan_reads_on_the_human_mitochondrion_agree_with_the_debian_pipeline(peer_data, peer_tool, tmp_path):
    """Many known differences: reads simulated from the orangutan mitochondrial genome,
    aligned to the human one (minimap2's own test pair)."""
    from reference.simulate import first_fasta_sequence

    folder = peer_data / "genomes" / "minimap2_mt"
    orangutan = first_fasta_sequence(folder / "MT-orang.fa")
    (tmp_path / "in").mkdir()
    simulated = simulate_reads(
        orangutan, tmp_path / "in" / "orang_R1.fq", tmp_path / "in" / "orang_R2.fq",
        SimulationSettings(read_count=3000, read_length=150, fragment_mean=300, seed=17),
    )  # fmt: skip
    calls = compare_with_debian(peer_tool, folder / "MT-human.fa", list(simulated.paths), tmp_path, "orang")
    assert len(calls) > 100


def test_a_sample_without_reads_gives_an_all_n_consensus(tmp_path):
    (tmp_path / "empty.fq").write_text("")
    reference = WORKFLOW / ".test" / "data" / "reference.fasta"
    result = run_snakemake(tmp_path, {"inputs": {"reads": ["empty.fq"], "reference": str(reference)}, "params": {}})
    assert result.returncode == 0, result.stderr[-5000:]
    row = summary_rows(tmp_path / "results" / "summary.tsv")["empty"]
    assert (row["reads"], row["mapped_percent"], row["consensus_n"], row["consensus_length"]) == ("0", "NA", "5000", "5000")
    assert called(tmp_path / "results" / "samples" / "empty.vcf.gz") == []


def test_a_broken_fastq_fails_its_alignment_job_with_the_record_named(tmp_path):
    (tmp_path / "broken.fq").write_text("@r1\nACGT\n+\nII\n")
    reference = WORKFLOW / ".test" / "data" / "reference.fasta"
    result = run_snakemake(tmp_path, {"inputs": {"reads": ["broken.fq"], "reference": str(reference)}, "params": {}})
    assert result.returncode != 0
    log = (tmp_path / "logs" / "align_reads" / "broken.log").read_text()
    assert "broken.fq: record 1 (line 4)" in log and "Traceback" not in log
