"""The parts of fastq-qc's trimming, pairing and chunking outside Snakemake: samples from
file names, pairs profiled in lockstep, the adapter and poly-G decisions, trimming with
the profile of what is written (checked against Debian's cutadapt and `lsdih trim`), and
record-aligned chunks that join back into the input."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from kernels.fastq_profile import profile_fastq_blocks
from reference.simulate import SimulationSettings, random_genome, simulate_reads
from workflows.common.adapter_kits import KITS_BY_KEY, choose_adapters, choose_poly_g
from workflows.common.fastq_chunks import (
    chunk_bounds,
    chunk_count,
    concatenate,
    count_checked_records,
    renumbered,
    split_fastq,
)
from workflows.common.paired_reads import (
    Sample,
    SampleNameError,
    profile_pair,
    samples_from_files,
    samples_from_sheet,
)
from workflows.common.qc_metrics import fastp_like_report, fastp_trimming_sections, profile_file
from workflows.common import qc_trimming
from workflows.common.qc_trimming import TrimSettings, profile_and_trim, trim_and_profile, trimming_options
from workflows.common.sequence_files import SequenceFileError

ILLUMINA = "AGATCGGAAGAGC"


def fastq(reads: list[tuple[str, str]], quality: str = "I") -> bytes:
    return "".join(f"@{name}\n{sequence}\n+\n{quality * len(sequence)}\n" for name, sequence in reads).encode()


def profile_of(reads: list[tuple[str, str]]):
    return profile_fastq_blocks([fastq(reads)], "auto")


def profile_counts(profile) -> dict:
    """A profile's counts, without the settings it was made with."""
    return {key: value for key, value in profile.to_dict().items() if key not in ("quality_offset", "max_read_length")}


def gunzipped(path: Path) -> bytes:
    with gzip.open(path, "rb") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pair")
    settings = SimulationSettings(read_count=400, read_length=80, fragment_mean=70, fragment_sd=25,
                                  no_call_rate=0.01, quality_end=15, seed=11)
    return simulate_reads(random_genome(20_000, seed=5), folder / "p_1.fq", folder / "p_2.fq.gz", settings).paths


# Samples from file names.


def test_pairs_are_found_by_their_mate_marks_in_the_order_given():
    files = ["in/a_R2_001.fastq.gz", "b_1.fq", "in/a_R1_001.fastq.gz", "c.fastq", "b_2.fq", "d_R1.fq"]
    assert samples_from_files(files) == [
        Sample("a", ("in/a_R1_001.fastq.gz", "in/a_R2_001.fastq.gz")),
        Sample("b", ("b_1.fq", "b_2.fq")),
        Sample("c", ("c.fastq",)),
        Sample("d_R1", ("d_R1.fq",)),  # its mate is not given: a single-end sample
    ]


def test_marks_of_different_styles_do_not_pair():
    assert [sample.name for sample in samples_from_files(["x_R1.fq", "x_2.fq"])] == ["x_R1", "x_2"]
    assert [sample.name for sample in samples_from_files(["x_R1_001.fq", "x_R2.fq"])] == ["x_R1_001", "x_R2"]


def test_pairing_by_names_can_be_turned_off():
    assert samples_from_files(["s_1.fq", "s_2.fq"], pair_by_names=False) == [Sample("s_1", ("s_1.fq",)),
                                                                              Sample("s_2", ("s_2.fq",))]


@pytest.mark.parametrize(("files", "message"), [
    (["a/s.fq", "b/s.fastq.gz"], "'a/s.fq' and 'b/s.fastq.gz' all give sample 's'"),
    (["s_1.fq", "s_2.fq", "s.fq"], "'s_1.fq' and 's_2.fq' and 's.fq' all give sample 's'"),
    (["a/s_1.fq", "b/s_1.fq.gz", "s_2.fq"], "'a/s_1.fq' and 'b/s_1.fq.gz' are both read 1 of sample 's'"),
    (["reads.txt"], "should end with one of .fastq.gz, .fq.gz, .fastq, .fq"),
])  # fmt: skip
def test_unusable_names_are_refused(files, message):
    with pytest.raises(SampleNameError, match=message.replace(".", r"\.").replace("(", r"\(")):
        samples_from_files(files)


def test_a_sample_sheet_names_the_samples_and_pairs(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tread1\tread2\nliver\tL_a.fq.gz\tL_b.fq.gz\n\nkidney\tin/k.fastq\t\n")
    files = ["/runs/1/inputs/L_b.fq.gz", "in/k.fastq", "/runs/1/inputs/L_a.fq.gz"]
    assert samples_from_sheet(sheet, files) == [
        Sample("liver", ("/runs/1/inputs/L_a.fq.gz", "/runs/1/inputs/L_b.fq.gz")),
        Sample("kidney", ("in/k.fastq",)),
    ]


@pytest.mark.parametrize(("text", "files", "message"), [
    ("name\tfile\na\tx.fq\n", ["x.fq"], "the first line must name the columns sample, read1"),
    ("sample\tread1\na b\tx.fq\n", ["x.fq"], "line 2: sample name 'a b' should be letters"),
    ("sample\tread1\na\tx.fq\na\ty.fq\n", ["x.fq", "y.fq"], "line 3: sample 'a' is listed twice"),
    ("sample\tread1\na\tz.fq\n", ["x.fq"], "line 2: read1 'z.fq' is not among the reads files given"),
    ("sample\tread1\na\tx.fq\n", ["1/x.fq", "2/x.fq"], "read1 'x.fq' matches more than one file given"),
    ("sample\tread1\tread2\na\tx.fq\tx.fq\n", ["x.fq"], "'x.fq' is listed for a second time"),
    ("sample\tread1\na\tx.fq\n", ["x.fq", "y.fq"], "reads files 'y.fq' are not listed"),
    ("sample\tread1\na\t\n", ["x.fq"], "line 2: no read1 file for sample 'a'"),
])  # fmt: skip
def test_a_bad_sample_sheet_is_refused_naming_the_line(tmp_path, text, files, message):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(text)
    with pytest.raises(SampleNameError, match=message.replace("(", r"\(")):
        samples_from_sheet(sheet, files)


# Pairs profiled in lockstep.


def test_a_pair_profiles_as_its_two_files(pair):
    first, second = profile_pair(*pair, "auto", 1000, block_bytes=3000)
    assert first.to_dict() == profile_file(pair[0], "auto", 1000).to_dict()
    assert second.to_dict() == profile_file(pair[1], "auto", 1000).to_dict()


def test_mismatched_read_names_name_both_files_and_the_record(tmp_path):
    reads = [("r1/1", "ACGT"), ("r2/1", "ACGT"), ("r3/1", "ACGT")]
    (tmp_path / "x_1.fq").write_bytes(fastq(reads))
    (tmp_path / "x_2.fq").write_bytes(fastq([("r1/2", "ACGT"), ("r9/2", "ACGT"), ("r3/2", "ACGT")]))
    with pytest.raises(SequenceFileError) as raised:
        profile_pair(tmp_path / "x_1.fq", tmp_path / "x_2.fq")
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'x_1.fq'}: reads are improperly paired: record 2 is named 'r2/1' here")
    assert f"but 'r9/2' in {tmp_path / 'x_2.fq'}" in message
    assert raised.value.record == 2


def test_a_shorter_mate_file_is_an_error(tmp_path):
    (tmp_path / "x_1.fq").write_bytes(fastq([("r1", "ACGT"), ("r2", "ACGT")]))
    (tmp_path / "x_2.fq").write_bytes(fastq([("r1", "ACGT")]))
    with pytest.raises(SequenceFileError, match="x_1.fq has more reads than .*x_2.fq"):
        profile_pair(tmp_path / "x_1.fq", tmp_path / "x_2.fq")


# Adapter and poly-G decisions.


def reads_with(adapter: str, count: int, total: int) -> list[tuple[str, str]]:
    insert = "CATTGACCTAGGTCAGTTCA"
    return [(f"r{index}", insert + (adapter if index < count else "TTCACCGGATTACAGCTTAC")) for index in range(total)]


def test_auto_chooses_the_kit_most_reads_carry():
    profile = profile_fastq_blocks([fastq(reads_with(KITS_BY_KEY["nextera"].read1, 30, 100)
                                          + reads_with(ILLUMINA, 10, 100))], "auto")
    choice = choose_adapters("auto", "", [profile], 0.1)
    assert (choice.kit, choice.read1, choice.read2) == ("nextera", ("CTGTCTCTTATACACATCT",), ("CTGTCTCTTATACACATCT",))
    assert choice.content_percent == {"illumina": 5.0, "nextera": 15.0, "small_rna": 0.0}
    assert "detected Nextera" in choice.decision and "15%" in choice.decision


def test_auto_trims_no_adapter_below_the_threshold():
    profile = profile_of(reads_with(ILLUMINA, 1, 200))  # 0.5% of reads
    choice = choose_adapters("auto", "", [profile], 1.0)
    assert (choice.kit, choice.read1, choice.read2) == (None, (), ())
    assert "no kit's adapter reaches 1% of reads" in choice.decision
    assert choose_adapters("auto", "", [profile], 0.5).kit == "illumina"


def test_the_highest_content_of_either_mate_counts():
    plain, carrying = profile_of(reads_with(ILLUMINA, 0, 50)), profile_of(reads_with(ILLUMINA, 5, 50))
    assert choose_adapters("auto", "", [plain, carrying], 1).content_percent["illumina"] == 10.0


def test_kits_sequences_and_none_as_set():
    profile = profile_of(reads_with(ILLUMINA, 0, 10))
    small = choose_adapters("small_rna", "", [profile], 0.1)
    assert (small.read1, small.read2) == (("TGGAATTCTCGG",), ("GATCGTCGGACT",))
    given = choose_adapters("acgtacgt,TTTTGGGG", "", [profile], 0.1)
    assert (given.kit, given.read1, given.read2) == (None, ("ACGTACGT", "TTTTGGGG"), ("ACGTACGT", "TTTTGGGG"))
    assert choose_adapters("ACGT", "GGCC", [profile], 0.1).read2 == ("GGCC",)
    assert choose_adapters("illumina", "GGCC", [profile], 0.1).read2 == ("GGCC",)
    assert choose_adapters("none", "", [profile], 0.1).read1 == ()
    with pytest.raises(ValueError, match="give auto, none, a kit"):
        choose_adapters("truseq3", "", [profile], 0.1)


def test_poly_g_auto_follows_the_poly_g_content():
    tails = [(f"r{index}", "ACGTTGCA" * 3 + ("G" * 20 if index < 3 else "ACCA" * 5)) for index in range(100)]
    profile = profile_of(tails)
    assert choose_poly_g("auto", [profile], 1.0).enabled
    assert choose_poly_g("auto", [profile], 1.0).content_percent == 3.0
    assert not choose_poly_g("auto", [profile], 5.0).enabled
    assert not choose_poly_g(False, [profile], 1.0).enabled
    assert choose_poly_g(True, [profile_of(reads_with(ILLUMINA, 0, 5))], 1.0).enabled


# Trimming with the profile of what is written.


def cutadapt_json(peer_tool, tmp_path: Path, options: list[str], inputs: tuple[Path, ...]) -> tuple[dict, list[Path]]:
    outputs = [tmp_path / f"cutadapt_{mate}.fastq" for mate in range(1, len(inputs) + 1)]
    paired = ["-p", str(outputs[1])] if len(inputs) == 2 else []
    command = [peer_tool("cutadapt"), *options, "--json", str(tmp_path / "cutadapt.json"), "-o", str(outputs[0]),
               *paired, *map(str, inputs)]
    subprocess.run(command, check=True, capture_output=True)
    return json.loads((tmp_path / "cutadapt.json").read_text()), outputs


def removed_adapter_bases(report: dict) -> int:
    return sum(length["len"] * sum(length["counts"]) for key in ("adapters_read1", "adapters_read2")
               for adapter in report.get(key) or [] for length in adapter["three_prime_end"]["trimmed_lengths"])


@pytest.mark.peer
@pytest.mark.parametrize("paired", [False, True], ids=["single", "paired"])
def test_trimmed_reads_and_counts_are_cutadapts(pair, tmp_path, peer_tool, paired):
    inputs = pair if paired else pair[:1]
    raw = list(profile_pair(*pair)) if paired else [profile_file(pair[0])]
    adapters = choose_adapters("auto", "", raw, 0.1)
    assert adapters.kit == "illumina"
    outputs = [tmp_path / f"ours_{mate}.fastq.gz" for mate in range(1, len(inputs) + 1)]
    settings = TrimSettings(quality_cutoff=20, min_length=30, pair_filter="both")
    options = trimming_options(inputs, outputs, adapters, settings, raw[0].encoding, cores=2)
    statistics, profiles = trim_and_profile(options, raw[0].encoding, 1000)
    command = ["-a", ILLUMINA, "-q", "20", "-m", "30"] + (["-A", ILLUMINA, "--pair-filter", "both"] if paired else [])
    report, expected = cutadapt_json(peer_tool, tmp_path, command, inputs)
    for ours, theirs, profile in zip(outputs, expected, profiles):
        assert gunzipped(ours) == theirs.read_bytes()
        assert profile_counts(profile) == profile_counts(profile_file(theirs))
    counts, bases = report["read_counts"], report["basepair_counts"]
    assert statistics["reads"] == counts["input"]
    assert statistics["too_short"] == counts["filtered"]["too_short"]
    assert statistics["written"] == counts["output"]
    assert statistics["with_adapters"][0] == counts["read1_with_adapter"]
    assert statistics["with_adapters"][1] == (counts["read2_with_adapter"] or 0)
    assert sum(statistics["quality_trimmed_bases"]) == bases["quality_trimmed"]
    assert sum(statistics["written_bases"]) == bases["output"]
    assert statistics["adapter_trimmed_bases"] == removed_adapter_bases(report)
    sections = fastp_trimming_sections(statistics, (adapters.read1, adapters.read2))
    sides = len(inputs)
    assert sections["filtering_result"]["passed_filter_reads"] == counts["output"] * sides
    assert sections["filtering_result"]["too_short_reads"] == counts["filtered"]["too_short"] * sides
    assert sections["adapter_cutting"]["adapter_trimmed_reads"] == counts["read1_with_adapter"] + (
        counts["read2_with_adapter"] or 0)


def _profiled_then_trimmed(inputs, outputs, settings, quality_offset="auto", cores=1):
    """The two passes of fastq-qc with adapters detected: the raw profile, then trimming."""
    raw = (list(profile_pair(*inputs, quality_offset, 1000)) if len(inputs) == 2
           else [profile_file(inputs[0], quality_offset, 1000)])
    adapters = choose_adapters("illumina", "", raw, 0.1)
    options = trimming_options(inputs, outputs, adapters, settings, raw[0].encoding, cores=cores)
    return (raw, *trim_and_profile(options, raw[0].encoding, 1000))


def _profiled_and_trimmed(inputs, outputs, settings, quality_offset="auto", cores=1):
    adapters = choose_adapters("illumina", "", [], 0.1)
    options = trimming_options(inputs, outputs, adapters, settings, profile_of([]).encoding, cores=cores)
    return profile_and_trim(options, quality_offset, 1000)


def _same_results(first, second, first_outputs, second_outputs):
    (raw, statistics, trimmed), (raw2, statistics2, trimmed2) = first, second
    assert [profile.to_dict() for profile in raw] == [profile.to_dict() for profile in raw2]
    assert statistics == statistics2
    assert [profile.to_dict() for profile in trimmed] == [profile.to_dict() for profile in trimmed2]
    assert [gunzipped(path) for path in first_outputs] == [gunzipped(path) for path in second_outputs]


@pytest.mark.parametrize("cores", [1, 2])
@pytest.mark.parametrize("paired", [False, True], ids=["single", "paired"])
def test_one_pass_gives_what_profiling_then_trimming_gives(pair, tmp_path, paired, cores):
    inputs = pair if paired else pair[:1]
    settings = TrimSettings(quality_cutoff=20, min_length=30, pair_filter="any")
    expected_outputs = [tmp_path / f"two_{mate}.fastq.gz" for mate in range(1, len(inputs) + 1)]
    outputs = [tmp_path / f"one_{mate}.fastq.gz" for mate in range(1, len(inputs) + 1)]
    expected = _profiled_then_trimmed(inputs, expected_outputs, settings, cores=cores)
    assert expected[1]["with_adapters"][0] > 0
    _same_results(_profiled_and_trimmed(inputs, outputs, settings, cores=cores), expected, outputs, expected_outputs)


def test_one_pass_trims_again_when_the_first_reads_mislead_the_encoding(tmp_path, monkeypatch):
    # The first reads hold only characters that Phred+64 can mean too; later ones do not.
    reads = [(f"r{index}", "ACGTACGTAGATCGGAAGAGCACAC"[: 12 + index % 14]) for index in range(200)]
    data = fastq(reads[:100], "h") + fastq(reads[100:], "5")
    (tmp_path / "late.fq").write_bytes(data)
    monkeypatch.setattr(qc_trimming, "ENCODING_HEAD_BYTES", len(fastq(reads[:50], "h")))
    assert qc_trimming._head_encoding(tmp_path / "late.fq", "auto").offset == 64
    settings = TrimSettings(quality_cutoff=30, min_length=5)
    first, second = [tmp_path / "one.fastq.gz"], [tmp_path / "two.fastq.gz"]
    result = _profiled_and_trimmed([tmp_path / "late.fq"], first, settings)
    _same_results(result, _profiled_then_trimmed([tmp_path / "late.fq"], second, settings), first, second)
    assert result[0][0].encoding.offset == 33 and result[1]["quality_trimmed_bases"][0] > 0


def test_one_pass_names_the_file_and_record_of_a_defect(tmp_path):
    (tmp_path / "bad.fq").write_bytes(fastq([("a", "ACGT"), ("b", "ACGT")]) + b"@c\nACGT\n+\nII\n")
    with pytest.raises(SequenceFileError, match=r"bad\.fq: .*record 3"):
        _profiled_and_trimmed([tmp_path / "bad.fq"], [tmp_path / "out.fastq.gz"], TrimSettings())
    assert not (tmp_path / "out.fastq.gz").exists()


def test_poly_g_trimming_is_that_of_lsdih_trim(tmp_path):
    reads = [(f"r{index}", "ACGTTGCATTGACCAGT" + "G" * (index % 25) + "ACG" * (index % 3)) for index in range(60)]
    path = tmp_path / "tails.fq"
    path.write_bytes(fastq(reads, "F"))
    raw = [profile_file(path)]
    poly_g = choose_poly_g("auto", raw, 0.1)
    assert poly_g.enabled
    settings = TrimSettings(quality_cutoff=0, min_length=5, poly_g=True, poly_g_min_length=8)
    options = trimming_options([path], [tmp_path / "ours.fq.gz"], choose_adapters("none", "", raw, 0.1), settings,
                               raw[0].encoding)
    statistics, _ = trim_and_profile(options, raw[0].encoding, 1000)
    assert statistics["poly_g_trimmed_bases"][0] > 0 and statistics["adapter_trimmed_bases"] == 0
    result = CliRunner().invoke(app, ["trim", "--trim-poly-g", "--poly-g-min-length", "8", "-m", "5", "-o",
                                      str(tmp_path / "cli.fq"), str(path)])
    assert result.exit_code == 0, result.output
    assert gunzipped(tmp_path / "ours.fq.gz") == (tmp_path / "cli.fq").read_bytes()


@pytest.mark.peer
def test_the_fastp_like_report_has_fastps_sections_and_fields(pair, tmp_path, peer_tool):
    command = [peer_tool("fastp"), "-i", str(pair[0]), "-I", str(pair[1]), "-o", str(tmp_path / "o1.fq"),
               "-O", str(tmp_path / "o2.fq"), "-a", ILLUMINA, "-j", str(tmp_path / "fastp.json"),
               "-h", str(tmp_path / "fastp.html")]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    theirs = json.loads((tmp_path / "fastp.json").read_text())
    raw = list(profile_pair(*pair))
    adapters = choose_adapters("illumina", "", raw, 0.1)
    outputs = [tmp_path / "t1.fq.gz", tmp_path / "t2.fq.gz"]
    options = trimming_options(pair, outputs, adapters, TrimSettings(), raw[0].encoding)
    statistics, trimmed = trim_and_profile(options, raw[0].encoding, 1000)
    ours = fastp_like_report(raw, pair, trimmed, fastp_trimming_sections(statistics, (adapters.read1, adapters.read2)))
    for section in ("before_filtering", "after_filtering"):
        assert set(ours["summary"][section]) == set(theirs["summary"][section]), section
    assert set(ours["filtering_result"]) == set(theirs["filtering_result"])
    assert set(ours["adapter_cutting"]) <= set(theirs["adapter_cutting"])
    for section in ("read1_before_filtering", "read2_before_filtering", "read1_after_filtering",
                    "read2_after_filtering"):
        assert {"total_reads", "total_bases", "q20_bases", "q30_bases", "quality_curves",
                "content_curves"} <= set(ours[section]) & set(theirs[section]), section
    assert ours["summary"]["before_filtering"]["total_reads"] == theirs["summary"]["before_filtering"]["total_reads"]
    assert ours["summary"]["after_filtering"]["total_reads"] == sum(profile.reads for profile in trimmed)


# Chunks.


def test_chunk_plan_follows_the_file_size(tmp_path):
    path = tmp_path / "r.fq"
    path.write_bytes(b"x" * 1000)
    assert [chunk_count([path], split) for split in (0, 1000, 999, 500, 300, 1)] == [1, 1, 2, 2, 4, 1000]
    assert chunk_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert chunk_bounds(2, 4) == [(0, 0), (0, 1), (1, 1), (1, 2)]


@pytest.mark.parametrize("chunks", [1, 2, 3, 7, 500])
@pytest.mark.parametrize("paired", [False, True], ids=["single", "paired"])
def test_chunks_join_back_into_the_input(pair, tmp_path, chunks, paired):
    inputs = list(pair if paired else pair[:1])
    chunk_paths = [[tmp_path / f"{chunk}_{mate}.fastq" for mate in range(1, len(inputs) + 1)] for chunk in range(chunks)]
    plan = split_fastq(inputs, chunk_paths, batch_bytes=2000)
    assert plan == {"records": 400, "chunks": [list(bounds) for bounds in chunk_bounds(400, chunks)]}
    for side, path in enumerate(inputs):
        joined = b"".join(paths[side].read_bytes() for paths in chunk_paths)
        original = gunzipped(path) if path.suffix == ".gz" else path.read_bytes()
        assert joined == original
        merged = profile_file(chunk_paths[0][side])
        for paths in chunk_paths[1:]:
            merged.merge(profile_file(paths[side]))
        assert merged.to_dict() == profile_file(path).to_dict()


def test_a_bad_record_is_reported_by_the_split_with_its_number_in_the_file(tmp_path):
    path = tmp_path / "bad.fq"
    path.write_bytes(fastq([(f"r{index}", "ACGT") for index in range(9)]) + b"@r9\nACGT\n+\nII\n")
    with pytest.raises(SequenceFileError, match=r"bad.fq: FASTQ record 10 \(line 37\)"):
        count_checked_records([path], batch_bytes=50)


def test_an_error_in_a_chunk_is_renumbered_as_in_the_file(tmp_path):
    error = SequenceFileError(tmp_path / "3_1.fastq", "FASTQ record 2 (line 5): quality character '5' is below '@'",
                              2, 5)
    moved = renumbered(error, "in/sample_R1.fq", 100)
    assert str(moved) == "in/sample_R1.fq: FASTQ record 102 (line 405): quality character '5' is below '@'"
    assert (moved.record, moved.line) == (102, 405)


def test_gzip_chunks_concatenate_into_one_readable_file(tmp_path):
    parts = []
    for index, text in enumerate((b"@a\nAC\n+\nII\n", b"", b"@b\nG\n+\nI\n")):
        parts.append(tmp_path / f"{index}.gz")
        parts[-1].write_bytes(gzip.compress(text))
    concatenate(parts, tmp_path / "all.gz")
    assert gunzipped(tmp_path / "all.gz") == b"@a\nAC\n+\nII\n@b\nG\n+\nI\n"
    concatenate(parts[:1], tmp_path / "one.gz")
    assert (tmp_path / "one.gz").read_bytes() == parts[0].read_bytes()
