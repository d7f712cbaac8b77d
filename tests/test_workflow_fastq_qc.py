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
    "reads", "bases", "gc_percent", "mean_quality", "q20_percent", "q30_percent", "n_percent",
    "min_length", "mean_length", "max_length", "q20_bases", "q30_bases", "duplicate_percent",
    "quality_encoding", "overrepresented_sequences", "adapter_percent",
)
PROFILE_KEYS = (
    "reads",
    "base_counts",
    "quality_counts",
    "length_histogram",
    "mean_quality_histogram",
    "position_quality_sum",
    "position_quality_count",
    "gc_histogram",
    "position_base_counts",
    "adapter_first_positions",
    "duplication",
)
REPORT_SECTIONS = (
    "Quality by position", "Base composition by position", "GC content", "Read lengths",
    "Adapter content", "Duplication", "Overrepresented sequences",
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

PHRED_33_TO_64 = bytes.maketrans(bytes(range(33, 96)), bytes(range(64, 127)))

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
    return "NA" if value is None else str(value) if isinstance(value, (int, str)) else f"{value:.2f}"


def naive_summary(expected: dict) -> dict:
    """The summary row's values from a naive profile, overrepresented sequences and the
    highest adapter content included."""
    reads = expected["reads"]
    key_reads = sum(expected["keys"].values())
    overrepresented = [count for count in expected["keys"].values() if count >= 2 and count > key_reads / 1000]
    adapters = [sum(positions) for positions in expected["adapter_first_positions"].values()]
    return {
        **{key: expected[key] for key in SUMMARY_KEYS[:-2]},
        "overrepresented_sequences": len(overrepresented),
        "adapter_percent": 100 * max(adapters) / reads if reads else None,
    }


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
    # The same reads in the Illumina 1.3-1.7 encoding (Phred+64), for the detection.
    records = read_text(short_reads.paths[0]).split(b"\n")
    records[3::4] = [line.translate(PHRED_33_TO_64) for line in records[3::4]]
    (workdir / "in" / "old_illumina.fq").write_bytes(b"\n".join(records))
    reads = [str(long_reads.paths[0]), "in/short_1.fq", str(short_reads.paths[1]), "in/old_illumina.fq"]
    params = {"max_read_length": 1000, "chunk_mb": 1}  # quality_offset: auto by default
    result = run_snakemake(workdir, {"inputs": {"reads": reads}, "params": params})
    assert result.returncode == 0, result.stderr
    naive = {
        path.name.split(".")[0]: {**naive_fastq_profile(read_text(path), "auto"), "path": path}
        for path in [*long_reads.paths, *short_reads.paths, workdir / "in" / "old_illumina.fq"]
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
        summary = profile["summary"]
        for key in SUMMARY_KEYS[:-3]:
            assert summary[key] == pytest.approx(expected[key]), (sample, key)
        assert summary["quality_encoding"] == expected["quality_encoding"]
        assert expected["quality_encoding"] == ("illumina-1.3" if sample == "old_illumina" else "sanger")
        frequent = profile["frequent_sequences"]
        assert dict(zip(frequent["sequences"], frequent["counts"])) == expected["frequent_sequences"]


def test_fastp_like_reports_hold_the_naive_numbers_and_what_multiqc_reads(completed_run):
    workdir, naive = completed_run
    for sample, expected in naive.items():
        report = json.loads((workdir / "results" / "samples" / f"{sample}.fastp.json").read_text())
        before = report["summary"]["before_filtering"]
        assert before == {
            "total_reads": expected["reads"],
            "total_bases": expected["bases"],
            "q20_bases": expected["q20_bases"],
            "q30_bases": expected["q30_bases"],
            "q20_rate": pytest.approx(expected["q20_bases"] / expected["bases"]),
            "q30_rate": pytest.approx(expected["q30_bases"] / expected["bases"]),
            "read1_mean_length": expected["bases"] // expected["reads"],
            "gc_content": pytest.approx(expected["gc_bases"] / expected["bases"]),
        }
        read1 = report["read1_before_filtering"]
        counts = expected["position_quality_count"]
        means = [total / count for total, count in zip(expected["position_quality_sum"], counts)]
        assert read1["quality_curves"]["mean"] == pytest.approx(means)
        for base in "ACGTN":
            shares = [n / count for n, count in zip(expected["position_base_counts"][base], counts)]
            assert read1["content_curves"][base] == pytest.approx(shares), base
        assert report["duplication"]["rate"] == pytest.approx(expected["duplicate_percent"] / 100)
        # MultiQC's fastp module takes the sample name from the input after -i.
        assert report["command"].split(" -i ")[1].endswith(Path(str(expected["path"])).name)


def test_summary_has_one_exact_row_per_sample(completed_run):
    workdir, naive = completed_run
    header, *rows = (workdir / "results" / "summary.tsv").read_text().splitlines()
    assert header.split("\t") == ["sample", *SUMMARY_KEYS]
    assert [row.split("\t")[0] for row in rows] == ["long", "short_1", "short_2", "old_illumina"]
    for row in rows:
        sample, *values = row.split("\t")
        expected = naive_summary(naive[sample])
        assert values == [formatted(expected[key]) for key in SUMMARY_KEYS]


def test_report_is_self_contained_with_the_plots_of_every_sample(completed_run):
    workdir, naive = completed_run
    report = (workdir / "results" / "report.html").read_text()
    sections = report.split("<h2>")[1:]
    assert [section.split("</h2>")[0] for section in sections] == list(naive)
    for section in sections:
        headings = [part.split("</h3>")[0] for part in section.split("<h3>")[1:]]
        assert headings == list(REPORT_SECTIONS)
        # Box plot, composition, GC, lengths, adapters and duplication are drawn.
        assert section.count("<svg") == 6
        assert "Quality by position" in section and "<rect" in section
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
    assert "50 is not one of ['auto', 33, 64]" in result.stderr
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


def test_quality_offset_that_the_reads_contradict_fails_naming_the_record(tmp_path):
    (tmp_path / "sanger.fastq").write_bytes(b"@a\nACGT\n+\nhhhh\n@b\nACGT\n+\nII5I\n")
    result = run_snakemake(tmp_path, {"inputs": {"reads": ["sanger.fastq"]}, "params": {"quality_offset": 64}})
    assert result.returncode != 0
    log = (tmp_path / "logs" / "profile_sample" / "sanger.log").read_text()
    assert "sanger.fastq: FASTQ record 2 (line 5): quality character '5' is below '@'" in log
    assert "looks like Sanger / Illumina 1.8+ (Phred+33)" in log


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
