"""The fastq-qc workflow run end to end by real Snakemake, checked against tests/naive.py."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reference.simulate import SimulationSettings, random_genome, simulate_reads
from tests.naive import naive_fastq_profile

REPOSITORY = Path(__file__).resolve().parents[1]
WORKFLOW = REPOSITORY / "workflows" / "fastq-qc"
SNAKEFILE = WORKFLOW / "workflow" / "Snakefile"
SUMMARY_KEYS = (
    "reads", "bases", "gc_percent", "mean_quality", "q20_percent", "q30_percent", "n_percent"
)
PROFILE_KEYS = (
    "reads",
    "base_counts",
    "quality_counts",
    "length_histogram",
    "mean_quality_histogram",
    "position_quality_sum",
    "position_quality_count",
)

# How the committed .test/data files were made; test_committed_test_data_is_reproducible
# keeps the two in step.
TEST_DATA_GENOME = {"length": 5000, "seed": 7}
TEST_DATA = {
    "sample_a.fastq.gz": SimulationSettings(read_count=60, read_length=100, seed=1),
    "sample_b.fq": SimulationSettings(
        read_count=40, read_length=60, fragment_mean=50, fragment_sd=10, no_call_rate=0.02, seed=2
    ),
}

pytestmark = pytest.mark.slow


def write_test_data(folder: Path) -> list[Path]:
    genome = random_genome(**TEST_DATA_GENOME)
    return [
        simulate_reads(genome, folder / name, None, settings).paths[0]
        for name, settings in TEST_DATA.items()
    ]


def run_snakemake(workdir: Path, config: dict | Path, *options: str):
    """Run the workflow's Snakefile in `workdir` with a config file or a dict written to one."""
    if isinstance(config, dict):
        config_path = workdir / "config.yaml"
        config_path.write_text(yaml.safe_dump(config))
    else:
        config_path = config
    # The rule scripts import kernels/ from this working tree.
    python_path = [str(REPOSITORY), os.environ.get("PYTHONPATH", "")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, python_path))}
    command = [
        sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "--configfile", str(config_path),
        "-d", str(workdir), "--cores", "2", *options,
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=600
    )


def read_text(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return handle.read()


def formatted(value) -> str:
    return "NA" if value is None else str(value) if isinstance(value, int) else f"{value:.2f}"


@pytest.fixture(scope="module")
def completed_run(tmp_path_factory):
    """One run over three samples: gzip with an absolute path, plain with a relative
    path, and short paired-style reads with no-calls and adapter read-through."""
    workdir = tmp_path_factory.mktemp("fastq_qc_run")
    (workdir / "in").mkdir()
    genome = random_genome(20_000, seed=9)
    long_reads = simulate_reads(
        genome, workdir / "in" / "long.fastq.gz", None,
        SimulationSettings(read_count=500, read_length=150, seed=3),
    )  # fmt: skip
    short_reads = simulate_reads(
        genome, workdir / "in" / "short_1.fq", workdir / "in" / "short_2.fq.gz",
        SimulationSettings(
            read_count=300, read_length=75, fragment_mean=70, fragment_sd=20,
            no_call_rate=0.01, seed=4,
        ),
    )  # fmt: skip
    reads = [str(long_reads.paths[0]), "in/short_1.fq", str(short_reads.paths[1])]
    params = {"quality_offset": 33, "max_read_length": 1000, "chunk_mb": 1}
    result = run_snakemake(workdir, {"inputs": {"reads": reads}, "params": params})
    assert result.returncode == 0, result.stderr
    naive = {
        path.name.split(".")[0]: naive_fastq_profile(read_text(path))
        for path in [*long_reads.paths, *short_reads.paths]
    }
    return workdir, naive


def test_sample_profiles_equal_the_naive_profile(completed_run):
    workdir, naive = completed_run
    for sample, expected in naive.items():
        path = workdir / "results" / "samples" / f"{sample}.profile.json"
        document = json.loads(path.read_text())
        assert document["sample"] == sample
        profile = document["profile"]
        for key in PROFILE_KEYS:
            assert profile[key] == expected[key], (sample, key)
        for key in SUMMARY_KEYS:
            assert profile["summary"][key] == pytest.approx(expected[key]), (sample, key)


def test_summary_has_one_exact_row_per_sample(completed_run):
    workdir, naive = completed_run
    header, *rows = (workdir / "results" / "summary.tsv").read_text().splitlines()
    assert header.split("\t") == ["sample", *SUMMARY_KEYS]
    assert [row.split("\t")[0] for row in rows] == ["long", "short_1", "short_2"]
    for row in rows:
        sample, *values = row.split("\t")
        assert values == [formatted(naive[sample][key]) for key in SUMMARY_KEYS]


def test_report_is_self_contained_with_a_plot_per_sample(completed_run):
    workdir, naive = completed_run
    report = (workdir / "results" / "report.html").read_text()
    assert report.count("<svg") == len(naive)
    for sample in naive:
        assert f"<h2>{sample}</h2>" in report
    for external in ("src=", "href=", "http", "<script", "@import"):
        assert external not in report


def test_every_rule_logged(completed_run):
    workdir, naive = completed_run
    logs = {path.relative_to(workdir / "logs").as_posix() for path in workdir.glob("logs/**/*.log")}
    profile_logs = {f"profile_sample/{sample}.log" for sample in naive}
    assert logs == {"summary.log", "report.log", *profile_logs}


def test_bad_parameter_fails_with_the_schema_error(tmp_path):
    write_test_data(tmp_path)
    config = {"inputs": {"reads": ["sample_b.fq"]}, "params": {"quality_offset": 50}}
    result = run_snakemake(tmp_path, config)
    assert result.returncode != 0
    assert "50 is not one of [33, 64]" in result.stderr
    assert not (tmp_path / "results").exists()


def test_unknown_parameter_is_refused(tmp_path):
    write_test_data(tmp_path)
    config = {"inputs": {"reads": ["sample_b.fq"]}, "params": {"threads": 4}}
    result = run_snakemake(tmp_path, config)
    assert result.returncode != 0
    assert "Additional properties are not allowed" in result.stderr


def test_bad_fastq_fails_the_job_with_the_record_in_its_log(tmp_path):
    (tmp_path / "broken.fastq").write_bytes(b"@a\nACGT\n+\nIIII\n@b\nAC\n+\nI\n")
    result = run_snakemake(tmp_path, {"inputs": {"reads": ["broken.fastq"]}})
    assert result.returncode != 0
    log = (tmp_path / "logs" / "profile_sample" / "broken.log").read_text()
    assert "broken.fastq: FASTQ record 2 (line 5): sequence and quality lines differ in length" in log
    assert "Traceback" not in log  # bad data is reported in one line, not as a crash


def test_committed_test_config_runs(tmp_path):
    workdir = tmp_path / "test"
    shutil.copytree(WORKFLOW / ".test", workdir)
    result = run_snakemake(workdir, workdir / "config.yaml")
    assert result.returncode == 0, result.stderr
    assert len((workdir / "results" / "summary.tsv").read_text().splitlines()) == 1 + len(TEST_DATA)


def test_committed_test_data_is_reproducible(tmp_path):
    committed = WORKFLOW / ".test" / "data"
    for path in write_test_data(tmp_path):
        # Compare content, not bytes: another zlib may compress the same text differently.
        assert read_text(path) == read_text(committed / path.name), path.name
    assert sum(path.stat().st_size for path in committed.iterdir()) < 50_000


def test_lint_finds_nothing_but_the_missing_conda_environments(tmp_path):
    # Rules run inside the lsdih installation, whose version pins their software, so the
    # catalogue's linter (jobs/lint.py) waives Snakemake's call for per-rule conda envs.
    workdir = tmp_path / "test"
    shutil.copytree(WORKFLOW / ".test", workdir)
    result = run_snakemake(workdir, workdir / "config.yaml", "--lint")
    output = result.stdout + result.stderr
    findings = {line.strip() for line in output.splitlines() if line.lstrip().startswith("* ")}
    assert findings <= {"* Specify a conda environment or container for each rule.:"}, output
    assert "Traceback" not in output
