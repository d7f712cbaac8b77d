"""Adapter and quality trimming: `lsdih trim` vs cutadapt (and fastp) on the same reads.

Seeded simulated reads (`reference.simulate`, 150 bp, fragments of 214 +- 50 bp so that
about 10% of reads run into the TruSeq adapter), plain FASTQ in and out. Every tool
runs as a fresh process, so times include start-up (for lsdih: Python, Numba and the
gateway's imports; the "start-up" row is `lsdih trim` on a file of one read, so it counts
the imports and the loading of every cached kernel, about 0.25 s of it Numba's first use):
- `lsdih trim -a ADAPTER -q 20 -m 20`, with -j 1 and -j 2;
- the same through `workflows.common.trimming.trim()` in a fresh `python -c` process, as
  a workflow rule calls it (no CLI imports), with 1 and 2 threads;
- `cutadapt -j 1` with the same options; its output must equal lsdih's byte for byte;
- "QC + trim()": what a fastq-qc job does for a sample, with plain output, when it
  detects the adapters: the full QC profile of the raw reads (`qc_metrics.profile_file`),
  then trimming with the profile of the trimmed reads taken as they are written
  (`qc_trimming.trim_and_profile`), with 1 and 2 threads for the trimming (the raw
  profile is one thread); this is the work fastp does, so it is compared with fastp;
- "QC + trim() one pass": the same work when the adapters are set, as here and in fastp's
  command: raw profile, trimming and trimmed profile in one pass (`qc_trimming.profile_and_trim`;
  the trimmed profile is kept as its differences from the raw one, `TrimmedProfiles`);
- `fastp -w 1` and `-w 2` with adapter and 3' quality trimming (its own algorithms, so its
  output differs; QC before and after trimming is part of what it always does), if installed.
Peak RSS and CPU time come from wait4() of each process; with `--repeat N` each tool's
fastest of N alternating runs is kept (the machine may be shared). Install the peers
first: `apt-get install -y cutadapt fastp`.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import timing
from benchmarks.timing import print_table, save_json
from reference.simulate import ADAPTER_READ_1

ADAPTER = ADAPTER_READ_1.decode()
OPTIONS = ["-a", ADAPTER, "-q", "20", "-m", "20"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reads", type=int, default=2_000_000,
                        help="simulated reads (default 2,000,000, the data set issue 5 names)")
    parser.add_argument("--length", type=int, default=150, help="read length (default 150)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each tool this many times, alternating, and keep its fastest run (default 1)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def run_measured(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one command; raise if it fails."""
    usage = timing.run_measured(command)
    return usage.seconds, usage.cpu_seconds, usage.peak_rss_mb


LIBRARY = """
import sys
from pathlib import Path
from workflows.common.trimming import TrimOptions, trim
trim(TrimOptions(inputs=(Path(sys.argv[1]),), output=Path(sys.argv[2]), adapters=(("back", sys.argv[3]),),
                 quality_cutoff="20", minimum_length="20", cores=int(sys.argv[4])))
"""

QC_AND_TRIM = """
import sys
from pathlib import Path
from kernels.fastq_profile import DEFAULT_MAX_READ_LENGTH
from workflows.common.qc_metrics import profile_file
from workflows.common.qc_trimming import trim_and_profile
from workflows.common.trimming import TrimOptions
raw = profile_file(sys.argv[1])
options = TrimOptions(inputs=(Path(sys.argv[1]),), output=Path(sys.argv[2]), adapters=(("back", sys.argv[3]),),
                      quality_cutoff="20", quality_base=raw.encoding.offset, minimum_length="20", cores=int(sys.argv[4]))
statistics, trimmed = trim_and_profile(options, raw.encoding, DEFAULT_MAX_READ_LENGTH)
assert raw.reads == statistics["reads"] and trimmed[0].reads == statistics["written"]
"""

ONE_PASS = """
import sys
from pathlib import Path
from kernels.fastq_profile import DEFAULT_MAX_READ_LENGTH
from workflows.common.qc_trimming import profile_and_trim
from workflows.common.trimming import TrimOptions
options = TrimOptions(inputs=(Path(sys.argv[1]),), output=Path(sys.argv[2]), adapters=(("back", sys.argv[3]),),
                      quality_cutoff="20", minimum_length="20", cores=int(sys.argv[4]))
raw, statistics, trimmed = profile_and_trim(options, "auto", DEFAULT_MAX_READ_LENGTH)
assert raw[0].reads == statistics["reads"] and trimmed[0].reads == statistics["written"]
"""

SIMULATE = """
import sys
from pathlib import Path
from reference.simulate import SimulationSettings, random_genome, simulate_reads
settings = SimulationSettings(read_count=int(sys.argv[2]), read_length=int(sys.argv[3]), fragment_mean=214.0,
                              fragment_sd=50.0, no_call_rate=0.001, seed=5)
simulate_reads(random_genome(1_000_000, seed=5), Path(sys.argv[1]), settings=settings)
"""


def lsdih_command() -> list[str]:
    installed = Path(sys.executable).with_name("lsdih")
    return [str(installed)] if installed.exists() else [sys.executable, "-c", "from gateway.cli import main; main()"]


def main(args: argparse.Namespace) -> int:
    if shutil.which("cutadapt") is None:
        print("missing peer tool: cutadapt (apt-get install -y cutadapt)", file=sys.stderr)
        return 2
    lsdih = lsdih_command() + ["trim", "--quiet"]
    with tempfile.TemporaryDirectory(prefix="lsdih-bench-trim-") as folder:
        scratch = Path(folder)
        reads = scratch / "reads.fastq"
        # In a child process, so that this one stays small: a child's peak RSS counts
        # the memory it inherits at fork.
        subprocess.run([sys.executable, "-c", SIMULATE, str(reads), str(args.reads), str(args.length)], check=True)
        megabytes = reads.stat().st_size / 1e6
        one_read = scratch / "one_read.fastq"
        one_read.write_bytes(b"@r1\n" + b"ACGT" * 25 + b"\n+\n" + b"I" * 100 + b"\n")
        run_measured(lsdih + OPTIONS + ["-o", str(scratch / "warm.fastq"), str(one_read)])  # fills Numba's cache
        library = [sys.executable, "-c", LIBRARY, str(reads)]
        qc = [sys.executable, "-c", QC_AND_TRIM, str(reads)]
        one_pass = [sys.executable, "-c", ONE_PASS, str(reads)]
        runs = {
            "lsdih trim -j 1": lsdih + ["-j", "1", *OPTIONS, "-o", str(scratch / "lsdih1.fastq"), str(reads)],
            "lsdih trim -j 2": lsdih + ["-j", "2", *OPTIONS, "-o", str(scratch / "lsdih2.fastq"), str(reads)],
            "trim() -j 1": library + [str(scratch / "library1.fastq"), ADAPTER, "1"],
            "trim() -j 2": library + [str(scratch / "library2.fastq"), ADAPTER, "2"],
            "QC + trim() -j 1": qc + [str(scratch / "qc1.fastq"), ADAPTER, "1"],
            "QC + trim() -j 2": qc + [str(scratch / "qc2.fastq"), ADAPTER, "2"],
            "QC + trim() one pass -j 1": one_pass + [str(scratch / "one1.fastq"), ADAPTER, "1"],
            "QC + trim() one pass -j 2": one_pass + [str(scratch / "one2.fastq"), ADAPTER, "2"],
            "cutadapt -j 1": ["cutadapt", "-j", "1", *OPTIONS, "-o", str(scratch / "cutadapt.fastq"), str(reads)],
        }
        if shutil.which("fastp"):
            for threads in ("1", "2"):
                runs[f"fastp -w {threads}"] = [
                    "fastp", "-w", threads, "-i", str(reads), "-o", str(scratch / "fastp.fastq"),
                    "--adapter_sequence", ADAPTER, "--cut_tail", "--cut_mean_quality", "20", "-l", "20", "-Q", "-G",
                    "--json", str(scratch / "fastp.json"), "--html", str(scratch / "fastp.html"),
                ]  # fmt: skip
        runs["start-up"] = lsdih + OPTIONS + ["-o", str(scratch / "one_read.out.fastq"), str(one_read)]
        results: dict[str, tuple[float, float, float]] = {}
        for _ in range(max(args.repeat, 1)):  # alternating, so that a busy spell hits every tool alike
            for name, command in runs.items():
                measured = run_measured(command)
                if name not in results or measured[0] < results[name][0]:
                    results[name] = measured
        startup = results.pop("start-up")
        identical = all(filecmp.cmp(scratch / "cutadapt.fastq", scratch / name, shallow=False)
                        for name in ("lsdih1.fastq", "lsdih2.fastq", "library1.fastq", "library2.fastq", "qc1.fastq",
                                     "qc2.fastq", "one1.fastq", "one2.fastq"))
    reference = results["cutadapt -j 1"][0]
    fastp = results.get("fastp -w 1", (None,))[0]
    rows = [("lsdih trim start-up (one read)", startup[0], startup[1], "", "", startup[2], "", "")]
    for name, (seconds, cpu, rss) in results.items():
        rows.append((name, seconds, cpu, megabytes / seconds, f"{args.reads / seconds:,.0f}", rss,
                     reference / seconds, "" if fastp is None else fastp / seconds))  # fmt: skip
    print_table(
        f"Trimming {args.reads:,} reads x {args.length} bp ({megabytes:.0f} MB FASTQ), options {' '.join(OPTIONS)} "
        "(MB/s and reads/s from wall time; 'x cutadapt' / 'x fastp' = cutadapt -j 1's / fastp -w 1's wall time "
        "over the tool's)",
        ("tool", "wall s", "CPU s", "MB/s", "reads/s", "peak RSS MB", "x cutadapt", "x fastp"),
        rows,
    )
    print(f"\nlsdih output identical to cutadapt's: {'yes' if identical else 'NO'}")
    save_json(args.json, {"reads": args.reads, "megabytes": megabytes, "identical_to_cutadapt": identical,
                          "startup": dict(zip(("seconds", "cpu_seconds", "peak_rss_mb"), startup)),
                          **{name: dict(zip(("seconds", "cpu_seconds", "peak_rss_mb"), values))
                             for name, values in results.items()}})
    return 0 if identical else 1
