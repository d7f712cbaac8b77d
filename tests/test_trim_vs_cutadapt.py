"""Differential tests: `lsdih trim` and Debian's cutadapt on the same random reads.

Each example writes a few hundred reads (adapter read-through with substitutions and
indels, partial adapters at the 3' end, adapters at the 5' end, Ns, lower case, low
quality tails, empty reads) to files, runs both tools with the same options and
requires every output file to be byte-identical. Few examples with many reads each
keep the run short.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gateway.cli import app

pytestmark = pytest.mark.peer

ADAPTERS = [
    "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC",  # TruSeq read 1
    "CTGTCTCTTATACACATCT",  # Nextera
    "TGGAATTCTCGGGTGCCAAGG",  # small RNA
    "ACGTNNNNACGT",  # wildcards
    "GATCGGAAGA",
    "TTAGACATAT",
]
BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def mutated(rng: np.random.Generator, sequence: str, rate: float) -> str:
    """`sequence` with substitutions, insertions and deletions, each at `rate` per base."""
    out = []
    for letter in sequence:
        draw = rng.random()
        if draw < rate:
            out.append("ACGT"[rng.integers(4)])
        elif draw < 2 * rate:
            out += [letter, "ACGT"[rng.integers(4)]]
        elif draw >= 3 * rate:
            out.append(letter)
    return "".join(out).replace("N", "ACGT"[rng.integers(4)])


def random_bases(rng: np.random.Generator, length: int) -> str:
    return BASES[rng.integers(0, 4, length)].tobytes().decode()


def simulated_read(rng: np.random.Generator, adapter: str, front: bool) -> tuple[str, str]:
    """One read (sequence, Phred scores as a string of offsets 0..41)."""
    length = int(rng.choice([0, 1, 5, 20, 40, 60, 80, 100]) if rng.random() < 0.1 else rng.integers(20, 110))
    insert = random_bases(rng, int(rng.integers(0, length + 10)))
    piece = mutated(rng, adapter, float(rng.choice([0.0, 0.01, 0.04])))
    if front:
        sequence = piece[int(rng.integers(0, len(piece) // 2 + 1)):] + insert if rng.random() < 0.6 else insert
    else:
        sequence = insert + piece + random_bases(rng, 30) if rng.random() < 0.7 else insert
    sequence = (sequence + random_bases(rng, length))[:length]
    letters = list(sequence)
    for position in np.flatnonzero(rng.random(length) < 0.02):
        letters[position] = "N"
    sequence = "".join(letters)
    if rng.random() < 0.05:
        sequence = sequence.lower()
    scores = np.clip(np.rint(38 - 20 * (np.arange(length) / max(length, 1)) ** 2 + rng.normal(0, 4, length)), 2, 41)
    if rng.random() < 0.2:
        scores[length - int(rng.integers(0, length // 3 + 1)):] = 2  # a low-quality tail
    return sequence, "".join(chr(int(score)) for score in scores)


def write_reads(path: Path, reads: list[tuple[str, str, str]], fastq: bool, base: int = 33) -> None:
    with open(path, "w") as handle:
        for name, sequence, scores in reads:
            if fastq:
                qualities = "".join(chr(ord(score) + base) for score in scores)
                handle.write(f"@{name}\n{sequence}\n+\n{qualities}\n")
            else:
                handle.write(f">{name}\n{sequence}\n")


def run_both(peer_tool, folder: Path, options: list[str], outputs: dict[str, str], inputs: list[Path]) -> None:
    """Run cutadapt and lsdih with the same options; compare every output byte for byte."""
    results = {}
    for tool in ("cutadapt", "lsdih"):
        target = folder / tool
        target.mkdir()
        argv = list(options)
        for option, name in outputs.items():
            argv += [option, str(target / name)]
        argv += [str(path) for path in inputs]
        if tool == "cutadapt":
            completed = subprocess.run([peer_tool("cutadapt"), "--quiet", *argv], capture_output=True, text=True)
            results[tool] = (completed.returncode, completed.stderr)
        else:
            result = CliRunner().invoke(app, ["trim", "--quiet", *argv])
            results[tool] = (result.exit_code, result.output)
    command = " ".join(options)
    (cutadapt_code, cutadapt_log), (lsdih_code, lsdih_log) = results["cutadapt"], results["lsdih"]
    if cutadapt_code != 0:
        assert lsdih_code != 0, f"cutadapt refused {command} ({cutadapt_log[-300:]}), lsdih did not"
        return
    assert lsdih_code == 0, f"lsdih failed on {command}: {lsdih_log}"
    for name in outputs.values():
        expected = (folder / "cutadapt" / name).read_bytes()
        actual = (folder / "lsdih" / name).read_bytes()
        assert actual == expected, f"{name} differs for: {command}"


def adapter_option(kind: str, adapter: str) -> list[str]:
    spec = {"back": adapter, "front": adapter, "anywhere": adapter, "anchored_back": adapter + "$",
            "anchored_front": "^" + adapter, "noninternal_back": adapter + "X", "noninternal_front": "X" + adapter}[kind]
    flag = {"front": "-g", "anchored_front": "-g", "noninternal_front": "-g", "anywhere": "-b"}.get(kind, "-a")
    return [flag, spec]


single_end_options = st.fixed_dictionaries({
    "kind": st.sampled_from(["back", "back", "front", "anywhere", "anchored_back", "anchored_front",
                             "noninternal_back", "noninternal_front"]),
    "adapter": st.sampled_from(ADAPTERS),
    "second": st.none() | st.sampled_from(ADAPTERS),
    "error_rate": st.sampled_from(["0.1", "0.1", "0", "0.2", "2"]),
    "overlap": st.sampled_from([None, "1", "5"]),
    "no_indels": st.booleans(),
    "times": st.sampled_from([None, "2"]),
    "quality": st.sampled_from([None, "20", "10,15"]),
    "nextseq": st.sampled_from([None, None, "20"]),
    "cut": st.sampled_from([[], ["-u", "3"], ["-u", "-4"], ["-u", "2", "-u", "-2"]]),
    "wildcards": st.sampled_from([[], ["-N"], ["--match-read-wildcards"]]),
    "minimum": st.sampled_from([None, "15"]),
    "maximum": st.sampled_from([None, "70"]),
    "untrimmed": st.booleans(),
    "base": st.sampled_from([33, 33, 64]),
    "seed": st.integers(0, 2**32 - 1),
})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(single_end_options)
def test_single_end_reads_match_cutadapt(peer_tool, choice):
    rng = np.random.default_rng(choice["seed"])
    front = "front" in choice["kind"]
    reads = [(f"read{index} comment", *simulated_read(rng, choice["adapter"], front)) for index in range(300)]
    options = adapter_option(choice["kind"], choice["adapter"]) + ["-e", choice["error_rate"]]
    if choice["second"]:
        options += ["-a", choice["second"]]
    for flag, key in (("-O", "overlap"), ("-n", "times"), ("-q", "quality"), ("--nextseq-trim", "nextseq"),
                      ("-m", "minimum"), ("-M", "maximum")):
        if choice[key] is not None:
            options += [flag, choice[key]]
    options += choice["cut"] + choice["wildcards"] + (["--no-indels"] if choice["no_indels"] else [])
    outputs = {"-o": "out.fastq"}
    if choice["base"] == 64:
        options += ["--quality-base", "64"]
    if choice["minimum"]:
        outputs["--too-short-output"] = "short.fastq"
    if choice["maximum"]:
        outputs["--too-long-output"] = "long.fastq"
    if choice["untrimmed"]:
        outputs["--untrimmed-output"] = "untrimmed.fastq"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reads.fastq"
        write_reads(path, reads, fastq=True, base=choice["base"])
        run_both(peer_tool, Path(folder), options, outputs, [path])


paired_options = st.fixed_dictionaries({
    "adapter1": st.sampled_from(ADAPTERS),
    "adapter2": st.sampled_from(ADAPTERS),
    "read2_flag": st.sampled_from(["-A", "-G", "-B", None]),
    "read1_flag": st.sampled_from(["-a", "-a", "-g", None]),
    "pair_filter": st.sampled_from([None, "any", "both", "first"]),
    "minimum": st.sampled_from([None, "20", "20:30", ":25", "25:"]),
    "maximum": st.sampled_from([None, "80", "80:90"]),
    "quality": st.sampled_from([None, "20"]),
    "quality2": st.sampled_from([None, "5,25"]),
    "cut2": st.sampled_from([[], ["-U", "4"]]),
    "untrimmed": st.booleans(),
    "seed": st.integers(0, 2**32 - 1),
})


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paired_options)
def test_paired_end_reads_match_cutadapt(peer_tool, choice):
    rng = np.random.default_rng(choice["seed"])
    first = [(f"pair{index}/1 x", *simulated_read(rng, choice["adapter1"], False)) for index in range(250)]
    second = [(f"pair{index}/2 y", *simulated_read(rng, choice["adapter2"], choice["read2_flag"] == "-G"))
              for index in range(250)]
    options = []
    if choice["read1_flag"]:
        options += [choice["read1_flag"], choice["adapter1"]]
    if choice["read2_flag"]:
        options += [choice["read2_flag"], choice["adapter2"]]
    for flag, key in (("--pair-filter", "pair_filter"), ("-m", "minimum"), ("-M", "maximum"), ("-q", "quality"),
                      ("-Q", "quality2")):
        if choice[key] is not None:
            options += [flag, choice[key]]
    options += choice["cut2"]
    outputs = {"-o": "out.1.fastq", "-p": "out.2.fastq"}
    if choice["minimum"]:
        outputs.update({"--too-short-output": "short.1.fastq", "--too-short-paired-output": "short.2.fastq"})
    if choice["untrimmed"]:
        outputs.update({"--untrimmed-output": "untrimmed.1.fastq", "--untrimmed-paired-output": "untrimmed.2.fastq"})
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / "reads.1.fastq", Path(folder) / "reads.2.fastq"]
        write_reads(paths[0], first, fastq=True)
        write_reads(paths[1], second, fastq=True)
        run_both(peer_tool, Path(folder), options, outputs, paths)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ADAPTERS), st.sampled_from(["-a", "-g", "-b"]), st.integers(0, 2**32 - 1))
def test_fasta_reads_match_cutadapt(peer_tool, adapter, flag, seed):
    rng = np.random.default_rng(seed)
    reads = [(f"seq{index} length={index}", *simulated_read(rng, adapter, flag == "-g")) for index in range(300)]
    options = [flag, adapter, "-n", "2", "--length-tag", "length=", "-m", "1"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reads.fasta"
        write_reads(path, reads, fastq=False)
        run_both(peer_tool, Path(folder), options, {"-o": "out.fasta", "--too-short-output": "short.fasta"}, [path])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["^{}", "{}$"]), st.sampled_from([[], ["--no-indels"], ["-e", "0.2"], ["-N"]]),
       st.integers(0, 2**32 - 1))
def test_many_anchored_adapters_match_cutadapt(peer_tool, pattern, extra, seed):
    """More than five anchored adapters: cutadapt's dictionary lookup decides."""
    rng = np.random.default_rng(seed)
    adapters = [random_bases(rng, int(rng.integers(6, 15))) for _ in range(7)]
    three_prime = pattern.endswith("$")
    reads = []
    for index in range(400):
        adapter = adapters[int(rng.integers(len(adapters)))]
        piece = mutated(rng, adapter, 0.05)
        if rng.random() < 0.2:
            piece = piece[: int(rng.integers(0, len(piece) + 1))]
        rest = random_bases(rng, int(rng.integers(0, 25)))
        sequence = rest + piece if three_prime else piece + rest
        if rng.random() < 0.05:
            sequence = sequence.replace(sequence[:1], "N", 1)
        reads.append((f"r{index}", sequence, chr(40) * len(sequence)))
    options = [option for adapter in adapters for option in ("-a" if three_prime else "-g", pattern.format(adapter))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reads.fastq"
        write_reads(path, reads, fastq=True)
        run_both(peer_tool, Path(folder), options + extra, {"-o": "out.fastq"}, [path])


def test_paired_fasta_and_mixed_formats_match_cutadapt(peer_tool, tmp_path):
    rng = np.random.default_rng(11)
    first = [(f"p{index}/1", *simulated_read(rng, ADAPTERS[0], False)) for index in range(200)]
    second = [(f"p{index}/2", *simulated_read(rng, ADAPTERS[1], False)) for index in range(200)]
    fasta = [tmp_path / "r1.fasta", tmp_path / "r2.fasta"]
    write_reads(fasta[0], first, fastq=False)
    write_reads(fasta[1], second, fastq=False)
    fastq = tmp_path / "r2.fastq"
    write_reads(fastq, second, fastq=True)
    options = ["-a", ADAPTERS[0], "-A", ADAPTERS[1], "-m", "10:5", "--pair-filter", "both"]
    for index, inputs in enumerate(([fasta[0], fasta[1]], [fasta[0], fastq])):
        folder = tmp_path / str(index)
        folder.mkdir()
        outputs = {"-o": "out.1.fasta", "-p": "out.2.fasta", "--too-short-output": "short.1.fasta",
                   "--too-short-paired-output": "short.2.fasta"}
        run_both(peer_tool, folder, options, outputs, inputs)
