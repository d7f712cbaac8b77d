"""`lsdih trim` as users call it: option checks (exit 2), bad inputs (exit 1, nothing left
behind), gzip in and out, threads, paired reads, the report, and adapter specifications."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli.trim import main
from reference.simulate import SimulationSettings, random_genome, simulate_reads
from workflows.common.adapters import AdapterSpecError, SearchDefaults, expand_braces, parse_adapter
from workflows.common.trimming import TrimOptions, trim

ADAPTER = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"
SMALL_FASTQ = (b"@r1 first\nACGTACGTAGATCGGAAGAGCACACG\n+\nIIIIIIIIIIIIIIIIIIIIIIII##\n"
               b"@r2\nTTTTTTTTTTTT\n+\nIIIIIIIIIIII\n"
               b"@r3\n\n+\n\n")


def run(*argv: str):
    return CliRunner().invoke(app, ["trim", *map(str, argv)])


@pytest.fixture
def reads(tmp_path) -> Path:
    path = tmp_path / "reads.fastq"
    path.write_bytes(SMALL_FASTQ)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if "lsdih-partial" in path.name)


def test_trims_and_reports(reads, tmp_path):
    output, report = tmp_path / "out.fastq", tmp_path / "report.json"
    result = run("-a", ADAPTER, "-q", "10", "-o", output, "--json", report, reads)
    assert result.exit_code == 0, result.output
    assert output.read_bytes() == (b"@r1 first\nACGTACGT\n+\nIIIIIIII\n@r2\nTTTTTTTTTTTT\n+\nIIIIIIIIIIII\n"
                                   b"@r3\n\n+\n\n")  # the empty read is kept
    statistics = json.loads(report.read_text())
    assert statistics["reads"] == 3 and statistics["with_adapters"] == [1, 0] and statistics["written"] == 3
    assert "Reads processed: 3" in result.output


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-p", "{out2}", "-o", "{out}", "{reads}"], "two input files are needed"),
        (["-o", "{out}", "{reads}", "{reads}"], "give -o and -p"),
        (["-A", ADAPTER, "-o", "{out}", "{reads}", "{reads}"], "-p/--paired-output"),
        (["-a", "ZACGT", "-o", "{out}", "{reads}"], "not an IUPAC code"),
        (["-a", "ACGT...TTTT", "-o", "{out}", "{reads}"], "linked adapters"),
        (["-b", "^ACGT", "-o", "{out}", "{reads}"], "not allowed for -b"),
        (["-a", "file:adapters.fa", "-o", "{out}", "{reads}"], "not supported"),
        (["-m", "10:20", "-o", "{out}", "{reads}"], "need paired-end input"),
        (["-q", "a,b", "-o", "{out}", "{reads}"], "quality cutoff"),
        (["-u", "3", "-u", "4", "-o", "{out}", "{reads}"], "same end twice"),
        (["-O", "0", "-o", "{out}", "{reads}"], "at least 1"),
        (["--pair-filter", "either", "-o", "{out}", "-p", "{out2}", "{reads}", "{reads}"], "--pair-filter"),
        (["-m", "5", "-o", "{out}", "--too-short-output", "{out}", "{reads}"], "more than one output"),
        (["-o", "{tmp}/out.fastq", "{fasta}"], "cannot write FASTQ"),
        (["--length-tag", "len(", "-o", "{out}", "{reads}"], "not a usable pattern"),
        (["--no-such-option", "{reads}"], "No such option"),
    ],
)
def test_bad_options_exit_2_without_output(argv, message, reads, tmp_path):
    fasta = tmp_path / "reads.fa"
    fasta.write_text(">r\nACGT\n")
    values = {"out": tmp_path / "out.fastq", "out2": tmp_path / "out2.fastq", "reads": reads, "fasta": fasta,
              "tmp": tmp_path}
    result = run(*(argument.format(**values) for argument in argv))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out.fastq").exists() and not leftovers(tmp_path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n+\nIII\n", "record 2 (line 5): sequence and quality lines differ in length"),
        (b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n", "record 2 (line 5): record is incomplete"),
        (b"@r1\nACGT\n+r2\nIIII\n", "record 1 (line 1): '+' line repeats a different title"),
        (b"@r1\nACGT\n+\nIIII\nr2\nACGT\n+\nIIII\n", "record 2 (line 5): header line does not start with '@'"),
        (b"@r1\nAC\xc3\xa9T\n+\nIIIII\n", "record 1 (line 1): byte 0xc3 is not ASCII"),
    ],
)
def test_malformed_fastq_exits_1_naming_file_record_and_defect(content, message, tmp_path):
    bad = tmp_path / "bad.fastq"
    bad.write_bytes(content)
    output = tmp_path / "out.fastq"
    result = run("-a", ADAPTER, "-o", output, bad)
    assert result.exit_code == 1
    assert str(bad) in result.output and message in result.output.replace("\n", "")
    assert not output.exists() and not leftovers(tmp_path)


def test_missing_input_and_quality_trimming_of_fasta_exit_1(tmp_path):
    output = tmp_path / "out.fastq"
    assert run("-o", output, tmp_path / "missing.fastq").exit_code == 1
    bzip2 = tmp_path / "reads.fastq.bz2"
    bzip2.write_bytes(b"BZh91AY&SY")
    result = run("-o", output, bzip2)
    assert result.exit_code == 1 and "only gzip" in result.output
    fasta = tmp_path / "reads.fasta"
    fasta.write_text("#comment\n\n>r1 a\r\nACGT\r\nAC\n>r2\n")
    result = run("-q", "20", "-o", tmp_path / "out.fasta", fasta)
    assert result.exit_code == 1 and "quality trimming needs qualities" in result.output
    result = run("-o", tmp_path / "text.fasta", tmp_path / "missing.fasta")
    assert result.exit_code == 1
    text = tmp_path / "text.fasta"
    text.write_text("some text\n>r\nACGT\n")
    result = run("-o", tmp_path / "out.fasta", text)
    assert result.exit_code == 1 and "record 1 (line 1)" in result.output
    assert not leftovers(tmp_path)


def test_fasta_lines_are_joined_and_crlf_input_gives_lf_output(tmp_path):
    fasta = tmp_path / "reads.fasta"
    fasta.write_bytes(b"#comment\n\n>r1 a \r\nACGT\r\nACTTAGACATAT\r\n#inner comment\n>r2\n")
    output = tmp_path / "out.fasta"
    assert run("-a", "TTAGACATAT", "-o", output, fasta).exit_code == 0
    assert output.read_bytes() == b">r1 a\nACGTAC\n>r2\n\n"
    fastq = tmp_path / "dos.fastq"  # the title repeated after '+' is not written back, as in cutadapt 4.2
    fastq.write_bytes(b"@r1 x\r\nACGTTTAGACATAT\r\n+r1 x\r\nIIIIIIIIIIIIII\r\n")
    assert run("-a", "TTAGACATAT", "-o", tmp_path / "out.fastq", fastq).exit_code == 0
    assert (tmp_path / "out.fastq").read_bytes() == b"@r1 x\nACGT\n+\nIIII\n"


def test_gzip_input_and_output(reads, tmp_path):
    compressed = tmp_path / "reads.fastq.gz"
    compressed.write_bytes(gzip.compress(SMALL_FASTQ))
    assert run("-a", ADAPTER, "-o", tmp_path / "plain.fastq", reads).exit_code == 0
    assert run("-a", ADAPTER, "-o", tmp_path / "out.fastq.gz", compressed).exit_code == 0
    assert gzip.decompress((tmp_path / "out.fastq.gz").read_bytes()) == (tmp_path / "plain.fastq").read_bytes()


def test_two_threads_write_what_one_thread_writes(tmp_path):
    genome = random_genome(50_000, seed=1)
    paths = [tmp_path / "r1.fastq", tmp_path / "r2.fastq.gz"]
    simulate_reads(genome, *paths, settings=SimulationSettings(read_count=3000, read_length=100,
                                                               fragment_mean=120, seed=2))
    outputs = {}
    for cores in (1, 2):
        options = TrimOptions(inputs=tuple(paths), output=tmp_path / f"o{cores}.1.fastq",
                              paired_output=tmp_path / f"o{cores}.2.fastq.gz", adapters=(("back", ADAPTER),),
                              adapters2=(("back", "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"),), quality_cutoff="20",
                              minimum_length="30", cores=cores, batch_bytes=8192)  # many small batches
        statistics = trim(options)
        assert statistics.reads == 3000 and statistics.with_adapters[0] > 500
        outputs[cores] = [(tmp_path / f"o{cores}.1.fastq").read_bytes(),
                          gzip.decompress((tmp_path / f"o{cores}.2.fastq.gz").read_bytes())]
    assert outputs[1] == outputs[2]
    result = run("-j", "2", "-a", ADAPTER, "-o", tmp_path / "cli.fastq", paths[0])
    assert result.exit_code == 0
    single = trim(TrimOptions(inputs=(paths[0],), output=tmp_path / "api.fastq", adapters=(("back", ADAPTER),)))
    assert single.reads == 3000
    assert (tmp_path / "cli.fastq").read_bytes() == (tmp_path / "api.fastq").read_bytes()


def test_paired_files_must_agree(tmp_path):
    first = tmp_path / "r1.fastq"
    second = tmp_path / "r2.fastq"
    first.write_bytes(b"@a/1\nAC\n+\nII\n@b/1 x\nAC\n+\nII\n")
    second.write_bytes(b"@a/2\nAC\n+\nII\n@c/2\nAC\n+\nII\n")
    result = run("-o", tmp_path / "o1.fastq", "-p", tmp_path / "o2.fastq", first, second)
    assert result.exit_code == 1
    text = result.output.replace("\n", "")
    assert "record 2" in text and "'b/1 x'" in text and "'c/2'" in text and str(second) in text
    second.write_bytes(b"@a/2\nAC\n+\nII\n")
    result = run("-o", tmp_path / "o1.fastq", "-p", tmp_path / "o2.fastq", first, second)
    assert result.exit_code == 1 and "more reads" in result.output
    assert not (tmp_path / "o1.fastq").exists() and not leftovers(tmp_path)


def test_main_runs_in_process(reads, tmp_path, capsys):
    assert main(["--quiet", "-a", ADAPTER, "-o", str(tmp_path / "out.fastq"), str(reads)]) == 0
    assert (tmp_path / "out.fastq").read_bytes().startswith(b"@r1 first\nACGTACGT\n")
    assert main(["--bogus", str(reads)]) == 2
    assert "No such option" in capsys.readouterr().err


def test_adapter_order_decides_ties(tmp_path):
    fasta = tmp_path / "order.fasta"
    fasta.write_text(">r\nAAACCGGG\n")  # ^AAACC and CCGGG both match with score 5
    assert run("-g", "^AAACC", "-a", "CCGGG", "-o", tmp_path / "ga.fasta", fasta).exit_code == 0
    assert run("-a", "CCGGG", "-g", "^AAACC", "-o", tmp_path / "ag.fasta", fasta).exit_code == 0
    assert (tmp_path / "ga.fasta").read_text() == ">r\nGGG\n"
    assert (tmp_path / "ag.fasta").read_text() == ">r\nAAA\n"


def test_poly_g_option(tmp_path):
    fastq = tmp_path / "nextseq.fastq"
    fastq.write_bytes(b"@r\nACGTACGTCA" + b"G" * 15 + b"\n+\n" + b"I" * 25 + b"\n")
    assert run("--trim-poly-g", "-o", tmp_path / "out.fastq", fastq).exit_code == 0
    assert (tmp_path / "out.fastq").read_bytes() == b"@r\nACGTACGTCA\n+\nIIIIIIIIII\n"
    assert run("--trim-poly-g", "--poly-g-min-length", "20", "-o", tmp_path / "kept.fastq", fastq).exit_code == 0
    assert (tmp_path / "kept.fastq").read_bytes() == fastq.read_bytes()


@pytest.mark.parametrize(
    "spec, option_type, kind, sequence, min_overlap, rate",
    [
        ("ACGU", "back", "back", b"ACGT", 3, 0.1),
        ("name=A{5}C;o=2;e=1", "back", "back", b"AAAAAC", 2, 1 / 6),
        ("^ACGT", "front", "anchored_front", b"ACGT", 4, 0.1),
        ("ACGT$", "back", "anchored_back", b"ACGT", 4, 0.1),
        ("XACGT", "front", "noninternal_front", b"ACGT", 3, 0.1),
        ("ACGTX", "back", "noninternal_back", b"ACGT", 3, 0.1),
        ("ACGT...", "back", "front", b"ACGT", 3, 0.1),
        ("...ACGT", "back", "back", b"ACGT", 3, 0.1),
        ("XXXXXX", "back", "back", b"XXXXXX", 3, 0.1),
        ("ACGNNT;e=2", "back", "back", b"ACGNNT", 3, 0.5),  # errors over the 4 non-N bases
    ],
)
def test_adapter_specifications(spec, option_type, kind, sequence, min_overlap, rate):
    adapter = parse_adapter(spec, option_type, SearchDefaults(), 1)
    assert adapter.parameters.kind == kind and adapter.parameters.sequence == sequence
    assert adapter.parameters.min_overlap == min_overlap and adapter.parameters.max_error_rate == pytest.approx(rate)
    assert adapter.name == ("name" if spec.startswith("name=") else "1")


def test_adapter_specification_errors():
    for spec, option_type in [("^ACGT$", "front"), ("ACGT$", "front"), ("^ACGT", "back"), ("NNNN", "back"),
                              ("ACGT;o=9", "back"), ("^ACGT;o=2", "front"), ("ACGT;rightmost", "front"),
                              ("ACGT;wat=1", "back"), ("", "back")]:
        with pytest.raises(AdapterSpecError):
            parse_adapter(spec, option_type, SearchDefaults(), 1)
    with pytest.raises(AdapterSpecError):
        expand_braces("A{3")
    assert expand_braces("TGA{5}CT") == "TGAAAAACT"
