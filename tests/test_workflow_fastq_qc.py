"""The fastq-qc workflow run end to end by real Snakemake, checked against tests/naive.py
and, for trimming, against Debian's cutadapt run with the same options."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from functools import partial
from pathlib import Path

import pytest

from reference.simulate import SimulationSettings, random_genome, simulate_reads
from tests.naive import naive_fastq_profile
from tests.snakemake_cli import run_snakefile

REPOSITORY = Path(__file__).resolve().parents[1]
WORKFLOW = REPOSITORY / "workflows" / "fastq-qc"
SNAKEFILE = WORKFLOW / "workflow" / "Snakefile"
SUMMARY_KEYS = (
    "reads", "bases", "gc_percent", "mean_quality", "q20_percent", "q30_percent", "n_percent",
    "min_length", "mean_length", "max_length", "q20_bases", "q30_bases", "duplicate_percent",
    "quality_encoding", "overrepresented_sequences", "adapter_percent",
)
TRIMMING_KEYS = (
    "layout", "adapters_trimmed", "poly_g_trimmed", "reads_with_adapter_percent", "reads_after", "bases_after",
    "reads_passed_percent", "bases_passed_percent", "q30_percent_after", "mean_length_after",
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
    ("sample_c_R1.fq.gz", "sample_c_R2.fq.gz"): SimulationSettings(
        read_count=30, read_length=50, fragment_mean=45, fragment_sd=10, seed=3
    ),
}

PHRED_33_TO_64 = bytes.maketrans(bytes(range(33, 96)), bytes(range(64, 127)))

pytestmark = pytest.mark.slow


def write_test_data(folder: Path) -> list[Path]:
    genome = random_genome(**TEST_DATA_GENOME)
    paths = []
    for names, settings in TEST_DATA.items():
        names = names if isinstance(names, tuple) else (names, None)
        paths += simulate_reads(genome, folder / names[0], names[1] and folder / names[1], settings).paths
    return paths


run_snakemake = partial(run_snakefile, SNAKEFILE)


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
    # Profiles only, every file a sample of its own, as version 0.2 did.
    params = {"max_read_length": 1000, "chunk_mb": 1, "trim": False, "pair_files": False}
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
    assert header.split("\t") == ["sample", *SUMMARY_KEYS, *TRIMMING_KEYS]
    assert [row.split("\t")[0] for row in rows] == ["long", "short_1", "short_2", "old_illumina"]
    for row in rows:
        sample, *values = row.split("\t")
        expected = naive_summary(naive[sample])
        assert values == [formatted(expected[key]) for key in SUMMARY_KEYS] + ["single"] + ["NA"] * 9
    assert not (workdir / "results" / "trimmed").exists()
    assert not list((workdir / "results" / "samples").glob("*.trimming.json"))


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
    per_sample = {f"{rule}/{sample}{chunk}.log" for sample in naive
                  for rule, chunk in (("profile_chunk", ".0"), ("merge_profiles", ""), ("fastp_report", ""))}
    assert logs == {"summary.log", "report.log", *per_sample}


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
    log = (tmp_path / "logs" / "profile_chunk" / "broken.0.log").read_text()
    assert "broken.fastq: FASTQ record 2 (line 5): sequence and quality lines differ in length" in log
    assert "Traceback" not in log  # bad data is reported in one line, not as a crash


def test_quality_offset_that_the_reads_contradict_fails_naming_the_record(tmp_path):
    (tmp_path / "sanger.fastq").write_bytes(b"@a\nACGT\n+\nhhhh\n@b\nACGT\n+\nII5I\n")
    result = run_snakemake(tmp_path, {"inputs": {"reads": ["sanger.fastq"]}, "params": {"quality_offset": 64}})
    assert result.returncode != 0
    log = (tmp_path / "logs" / "profile_chunk" / "sanger.0.log").read_text()
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


# Trimming, pairs and chunks.

ILLUMINA = "AGATCGGAAGAGC"
TRIM_PARAMS = {"max_read_length": 1000, "min_length": 30}  # adapters auto, quality 20, poly-G auto
SPLIT_MB = 0.02  # 20 KiB: every file below is cut into two to four chunks
TRIMMED_SAMPLES = {
    "rt": ["rt.fastq.gz"],
    "pe": ["pe_R1_001.fastq.gz", "pe_R2_001.fastq.gz"],
    "old_illumina": ["old_illumina.fq"],
}


def write_trimming_inputs(folder: Path) -> list[str]:
    genome = random_genome(20_000, seed=13)
    simulate_reads(
        genome, folder / "rt.fastq.gz", None,
        SimulationSettings(read_count=300, read_length=100, fragment_mean=80, fragment_sd=25, quality_end=15, seed=5),
    )  # fmt: skip
    simulate_reads(
        genome, folder / "pe_R1_001.fastq.gz", folder / "pe_R2_001.fastq.gz",
        SimulationSettings(
            read_count=250, read_length=75, fragment_mean=70, fragment_sd=20, no_call_rate=0.01, seed=6
        ),
    )  # fmt: skip
    records = read_text(folder / "rt.fastq.gz").split(b"\n")
    records[3::4] = [line.translate(PHRED_33_TO_64) for line in records[3::4]]
    (folder / "old_illumina.fq").write_bytes(b"\n".join(records))
    # Given out of order: the pair is found by its names, samples keep their first file's place.
    return ["rt.fastq.gz", "pe_R2_001.fastq.gz", "pe_R1_001.fastq.gz", "old_illumina.fq"]


@pytest.fixture(scope="module")
def trimmed_runs(tmp_path_factory):
    """The same samples trimmed four times: whole, and cut into chunks (split_mb); with
    the adapters detected (a raw profile first), and set (one pass per chunk)."""
    runs = {}
    set_adapters = {"adapters": "illumina", "poly_g": False}
    for name, extra in (("whole", {}), ("split", {"split_mb": SPLIT_MB}), ("single_pass", set_adapters),
                        ("single_pass_split", {**set_adapters, "split_mb": SPLIT_MB})):
        workdir = tmp_path_factory.mktemp(f"fastq_qc_{name}")
        reads = write_trimming_inputs(workdir)
        result = run_snakemake(workdir, {"inputs": {"reads": reads}, "params": {**TRIM_PARAMS, **extra}})
        assert result.returncode == 0, result.stderr
        runs[name] = workdir
    return runs


def cutadapt_trimmed(peer_tool, workdir: Path, sample: str, target: Path) -> tuple[list[bytes], dict]:
    """What cutadapt writes for `sample` with the options the workflow's parameters mean."""
    inputs = [workdir / name for name in TRIMMED_SAMPLES[sample]]
    outputs = [target / f"{sample}_{mate}.fastq" for mate in range(1, len(inputs) + 1)]
    options = ["-a", ILLUMINA, "-q", "20", "-m", "30", "--json", str(target / f"{sample}.json")]
    if sample == "old_illumina":
        options += ["--quality-base", "64"]
    if len(inputs) == 2:
        options += ["-A", ILLUMINA, "--pair-filter", "any", "-p", str(outputs[1])]
    subprocess.run([peer_tool("cutadapt"), *options, "-o", str(outputs[0]), *map(str, inputs)],
                   check=True, capture_output=True)
    return [path.read_bytes() for path in outputs], json.loads((target / f"{sample}.json").read_text())


def trimmed_files(workdir: Path, sample: str) -> list[Path]:
    names = [f"{sample}_R1", f"{sample}_R2"] if len(TRIMMED_SAMPLES[sample]) == 2 else [sample]
    return [workdir / "results" / "trimmed" / f"{name}.fastq.gz" for name in names]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.peer
@pytest.mark.parametrize("run", ["whole", "split"])
def test_trimmed_reads_and_counts_are_those_of_cutadapt(trimmed_runs, peer_tool, tmp_path, run):
    workdir = trimmed_runs[run]
    for sample in TRIMMED_SAMPLES:
        expected, report = cutadapt_trimmed(peer_tool, workdir, sample, tmp_path)
        assert [read_text(path) for path in trimmed_files(workdir, sample)] == expected, sample
        statistics = read_json(workdir / "results" / "samples" / f"{sample}.trimming.json")["statistics"]
        counts = report["read_counts"]
        assert (statistics["reads"], statistics["too_short"], statistics["written"]) == (
            counts["input"], counts["filtered"]["too_short"], counts["output"]), sample
        assert statistics["with_adapters"][0] == counts["read1_with_adapter"]
        assert sum(statistics["written_bases"]) == report["basepair_counts"]["output"]
        assert sum(statistics["quality_trimmed_bases"]) == report["basepair_counts"]["quality_trimmed"]


def test_trimming_documents_record_the_decisions_and_the_trimmed_profiles(trimmed_runs):
    workdir = trimmed_runs["whole"]
    for sample, inputs in TRIMMED_SAMPLES.items():
        document = read_json(workdir / "results" / "samples" / f"{sample}.trimming.json")
        assert document["paired"] == (len(inputs) == 2)
        assert document["reads_files"] == inputs
        adapters = document["adapters"]
        assert (adapters["setting"], adapters["kit"], adapters["read1"]) == ("auto", "illumina", [ILLUMINA])
        assert adapters["read2"] == [ILLUMINA]
        assert adapters["content_percent"]["illumina"] > 1 and adapters["content_percent"]["nextera"] == 0
        assert adapters["decision"].startswith("detected Illumina TruSeq / universal")
        assert document["poly_g"]["enabled"] is False and "poly-G trimming off" in document["poly_g"]["decision"]
        assert document["settings"]["quality_base"] == (64 if sample == "old_illumina" else 33)
        for key, path in zip(("profile", "read2_profile"), trimmed_files(workdir, sample)):
            expected = naive_fastq_profile(read_text(path), "auto")
            for field in PROFILE_KEYS:
                assert document[key][field] == expected[field], (sample, key, field)
        raw = read_json(workdir / "results" / "samples" / f"{sample}.profile.json")
        for key, name in zip(("profile", "read2_profile"), inputs):
            expected = naive_fastq_profile(read_text(workdir / name), "auto")
            assert raw[key]["reads"] == expected["reads"] and raw[key]["base_counts"] == expected["base_counts"]


def test_fastp_like_reports_hold_before_and_after(trimmed_runs):
    workdir = trimmed_runs["whole"]
    for sample, inputs in TRIMMED_SAMPLES.items():
        report = read_json(workdir / "results" / "samples" / f"{sample}.fastp.json")
        statistics = read_json(workdir / "results" / "samples" / f"{sample}.trimming.json")["statistics"]
        for section, paths in (("before", [workdir / name for name in inputs]), ("after", trimmed_files(workdir, sample))):
            naive = [naive_fastq_profile(read_text(path), "auto") for path in paths]
            summary = report["summary"][f"{section}_filtering"]
            assert summary["total_reads"] == sum(profile["reads"] for profile in naive), (sample, section)
            assert summary["total_bases"] == sum(profile["bases"] for profile in naive)
            assert summary["q30_bases"] == sum(profile["q30_bases"] for profile in naive)
            for number, profile in enumerate(naive, start=1):
                read = report[f"read{number}_{section}_filtering"]
                means = [total / count for total, count in zip(profile["position_quality_sum"],
                                                               profile["position_quality_count"])]
                assert read["quality_curves"]["mean"] == pytest.approx(means)
        sides = len(inputs)
        assert report["filtering_result"] == {
            "passed_filter_reads": statistics["written"] * sides, "low_quality_reads": 0, "too_many_N_reads": 0,
            "too_short_reads": statistics["too_short"] * sides, "too_long_reads": 0,
        }  # fmt: skip
        cutting = report["adapter_cutting"]
        assert cutting["adapter_trimmed_reads"] == sum(statistics["with_adapters"])
        assert cutting["adapter_trimmed_bases"] == statistics["adapter_trimmed_bases"] > 0
        assert cutting["read1_adapter_sequence"] == ILLUMINA
        assert ("read2_adapter_sequence" in cutting) == (sides == 2)


def test_summary_rows_of_trimmed_samples(trimmed_runs):
    workdir = trimmed_runs["whole"]
    header, *rows = (workdir / "results" / "summary.tsv").read_text().splitlines()
    assert header.split("\t") == ["sample", *SUMMARY_KEYS, *TRIMMING_KEYS]
    assert [row.split("\t")[0] for row in rows] == list(TRIMMED_SAMPLES)
    for row in rows:
        sample, *values = row.split("\t")
        values = dict(zip((*SUMMARY_KEYS, *TRIMMING_KEYS), values))
        raw = [naive_fastq_profile(read_text(workdir / name), "auto") for name in TRIMMED_SAMPLES[sample]]
        after = [naive_fastq_profile(read_text(path), "auto") for path in trimmed_files(workdir, sample)]
        assert values["reads"] == str(sum(profile["reads"] for profile in raw))
        assert values["layout"] == ("paired" if len(raw) == 2 else "single")
        assert (values["adapters_trimmed"], values["poly_g_trimmed"]) == ("illumina", "no")
        assert values["reads_after"] == str(sum(profile["reads"] for profile in after))
        assert values["bases_after"] == str(sum(profile["bases"] for profile in after))
        passed = 100 * sum(profile["reads"] for profile in after) / sum(profile["reads"] for profile in raw)
        assert values["reads_passed_percent"] == f"{passed:.2f}"


def test_report_shows_trimming_and_each_file_before_and_after(trimmed_runs):
    report = (trimmed_runs["whole"] / "results" / "report.html").read_text()
    sections = report.split("<h2>")[1:]
    assert [section.split("</h2>")[0] for section in sections] == list(TRIMMED_SAMPLES)
    for sample, section in zip(TRIMMED_SAMPLES, sections):
        headings = [part.split("</h3>")[0] for part in section.split("<h3>")[1:]]
        assert headings == ["Trimming", *REPORT_SECTIONS]
        reads = ["read 1, ", "read 2, "] if sample == "pe" else [""]
        views = [f"{read}{state} trimming" for read in reads for state in ("before", "after")]
        for part in section.split("<h3>")[2:]:
            assert [label.split("</h4>")[0] for label in part.split("<h4>")[1:]] == views
        assert section.count("<svg") == 6 * len(views)
        assert "detected Illumina TruSeq / universal" in section and "Bases removed: adapters" in section
    for external in ("src=", "href=", "http", "<script", "@import"):
        assert external not in report


def test_split_run_gives_the_results_of_the_whole_run(trimmed_runs):
    whole, split = trimmed_runs["whole"], trimmed_runs["split"]
    for sample in TRIMMED_SAMPLES:
        for ours, theirs in zip(trimmed_files(split, sample), trimmed_files(whole, sample)):
            assert read_text(ours) == read_text(theirs)
        for kind in ("profile", "trimming"):
            split_document = read_json(split / "results" / "samples" / f"{sample}.{kind}.json")
            whole_document = read_json(whole / "results" / "samples" / f"{sample}.{kind}.json")
            assert split_document.pop("chunks") > 1 and whole_document.pop("chunks") == 1
            assert split_document == whole_document, (sample, kind)
        assert read_json(split / "results" / "samples" / f"{sample}.fastp.json") == read_json(
            whole / "results" / "samples" / f"{sample}.fastp.json")
    for name in ("summary.tsv", "report.html"):
        assert (split / "results" / name).read_text() == (whole / "results" / name).read_text()
    logs = {path.relative_to(split / "logs").as_posix() for path in split.glob("logs/**/*.log")}
    for sample in TRIMMED_SAMPLES:
        chunks = read_json(split / "results" / "samples" / f"{sample}.profile.json")["chunks"]
        assert f"split_sample/{sample}.log" in logs
        assert {f"trim_chunk/{sample}.{chunk}.log" for chunk in range(chunks)} <= logs
    assert not (split / "chunks").exists() or not any((split / "chunks").rglob("*.fastq"))  # temporary


@pytest.mark.parametrize("run", ["single_pass", "single_pass_split"])
def test_one_pass_with_set_adapters_gives_the_results_of_profiling_first(trimmed_runs, run):
    ours, theirs = trimmed_runs[run], trimmed_runs["whole"]
    for sample in TRIMMED_SAMPLES:
        for mine, expected in zip(trimmed_files(ours, sample), trimmed_files(theirs, sample)):
            assert read_text(mine) == read_text(expected), sample
        documents = {}
        for workdir in (ours, theirs):
            for kind in ("profile", "trimming", "fastp"):
                document = read_json(workdir / "results" / "samples" / f"{sample}.{kind}.json")
                document.pop("chunks", None)
                documents.setdefault(kind, []).append(document)
        mine, expected = documents.pop("trimming")
        assert mine["adapters"].pop("setting") == "illumina" and expected["adapters"].pop("setting") == "auto"
        assert mine["adapters"].pop("decision") == "Illumina TruSeq / universal, as set"
        assert mine["poly_g"].pop("setting") is False and "as set" in mine["poly_g"].pop("decision")
        for document in (expected["adapters"], expected["poly_g"]):
            del document["decision"]
        del expected["poly_g"]["setting"]
        assert mine == expected, sample  # the content of the kits' adapters too, from the raw reads
        for kind, (mine, expected) in documents.items():
            assert mine == expected, (sample, kind)
    assert (ours / "results" / "summary.tsv").read_text() == (theirs / "results" / "summary.tsv").read_text()
    logs = {path.relative_to(ours / "logs").parts[0] for path in ours.glob("logs/**/*.log")}
    assert "profile_and_trim_chunk" in logs and not {"profile_chunk", "trim_chunk"} & logs


def test_mismatched_pair_fails_naming_both_files_and_the_record(tmp_path):
    (tmp_path / "x_R1.fq").write_bytes(b"@a/1\nACGT\n+\nIIII\n@b/1\nACGT\n+\nIIII\n")
    (tmp_path / "x_R2.fq").write_bytes(b"@a/2\nACGT\n+\nIIII\n@c/2\nACGT\n+\nIIII\n")
    result = run_snakemake(tmp_path, {"inputs": {"reads": ["x_R1.fq", "x_R2.fq"]}})
    assert result.returncode != 0
    log = (tmp_path / "logs" / "profile_chunk" / "x.0.log").read_text()
    assert ("x_R1.fq: reads are improperly paired: record 2 is named 'b/1' here but 'c/2' in x_R2.fq") in log
    assert "Traceback" not in log


def test_given_adapters_and_poly_g_reach_the_trimmer(tmp_path):
    insert = b"ACGTTGCATTGACCAGTCATC"
    tails = [b"G" * 15 if index % 2 else b"TTTTACCA" for index in range(20)]
    (tmp_path / "tails.fq").write_bytes(b"".join(
        b"@r%d\n%s%s\n+\n%s\n" % (index, insert, tail, b"F" * (len(insert) + len(tail)))
        for index, tail in enumerate(tails)))
    params = {"adapters": "ttttacca", "poly_g": True, "poly_g_min_length": 12, "quality_cutoff": 0, "min_length": 0}
    result = run_snakemake(tmp_path, {"inputs": {"reads": ["tails.fq"]}, "params": params})
    assert result.returncode == 0, result.stderr
    trimmed = read_text(tmp_path / "results" / "trimmed" / "tails.fastq.gz")
    assert trimmed == b"".join(b"@r%d\n%s\n+\n%s\n" % (index, insert, b"F" * len(insert)) for index in range(20))
    document = read_json(tmp_path / "results" / "samples" / "tails.trimming.json")
    assert document["adapters"]["read1"] == ["TTTTACCA"] and document["poly_g"]["enabled"] is True
    assert document["statistics"]["poly_g_trimmed_bases"][0] == 10 * 15


def test_a_sample_sheet_names_the_samples(tmp_path):
    reads = write_test_data(tmp_path)
    (tmp_path / "sheet.tsv").write_text(
        "sample\tread1\tread2\nmouse\tsample_c_R1.fq.gz\tsample_c_R2.fq.gz\nrat\tsample_b.fq\t\n"
        "cat\tsample_a.fastq.gz\t\n"
    )
    inputs = {"reads": [path.name for path in reads], "samples": "sheet.tsv"}
    result = run_snakemake(tmp_path, {"inputs": inputs, "params": {"max_read_length": 1000}})
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "results" / "summary.tsv").read_text().splitlines()[1:]
    assert [(row.split("\t")[0], row.split("\t")[17]) for row in rows] == [
        ("mouse", "paired"), ("rat", "single"), ("cat", "single")]
    assert read_text(tmp_path / "results" / "trimmed" / "mouse_R2.fastq.gz").startswith(b"@")
