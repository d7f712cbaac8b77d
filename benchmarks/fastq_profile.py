"""FASTQ quality profile: lsdih's kernel vs fastp and seqkit on the same simulated reads.

Each tool computes read/base counts, GC and Q20/Q30 over the whole file, one thread:
- lsdih: `kernels.fastq_profile.profile_fastq_blocks` over the 16 MiB blocks of
  `workflows.common.sequence_files.read_blocks` (ISA-L for gzip), as the fastq-qc job does
  (a fresh process; Numba's compiled code comes from its cache);
- `fastp -w 1` with every filter and trimming step off and no output reads;
- `seqkit stats -a -j 1`.
The counts of all three are printed side by side, so a disagreement shows at once.
Install the peers first: `apt-get install -y fastp seqkit`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.timing import print_table, save_json
from reference.simulate import SimulationSettings, random_genome, simulate_reads

LSDIH_PROFILE = """
import json, sys
from kernels.fastq_profile import profile_fastq_blocks
from workflows.common.sequence_files import read_blocks
print(json.dumps(profile_fastq_blocks(read_blocks(sys.argv[1])).summary()))
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reads", type=int, default=1_000_000, help="simulated reads (default 1,000,000)")
    parser.add_argument("--length", type=int, default=150, help="read length (default 150)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {completed.stderr[-2000:]}")
    return seconds, completed.stdout


def run_lsdih(path: Path) -> tuple[float, dict]:
    seconds, output = timed([sys.executable, "-c", LSDIH_PROFILE, str(path)])
    summary = json.loads(output)
    return seconds, {"reads": summary["reads"], "bases": summary["bases"], "q30_percent": summary["q30_percent"]}


def run_fastp(path: Path, scratch: Path) -> tuple[float, dict]:
    report = scratch / "fastp.json"
    seconds, _ = timed(["fastp", "-i", str(path), "-w", "1", "-A", "-G", "-Q", "-L", "--json", str(report),
                        "--html", str(scratch / "fastp.html")])
    before = json.loads(report.read_text())["summary"]["before_filtering"]
    return seconds, {"reads": before["total_reads"], "bases": before["total_bases"],
                     "q30_percent": 100 * before["q30_rate"]}


def run_seqkit(path: Path) -> tuple[float, dict]:
    seconds, output = timed(["seqkit", "stats", "-a", "-T", "-j", "1", str(path)])
    header, values = (line.split("\t") for line in output.strip().splitlines()[:2])
    row = dict(zip(header, values))
    return seconds, {"reads": int(row["num_seqs"]), "bases": int(row["sum_len"]), "q30_percent": float(row["Q30(%)"])}


def main(args: argparse.Namespace) -> int:
    missing = [tool for tool in ("fastp", "seqkit") if shutil.which(tool) is None]
    if missing:
        print(f"missing peer tools: {', '.join(missing)} (apt-get install -y fastp seqkit)", file=sys.stderr)
        return 2
    rows, document = [], {}
    with tempfile.TemporaryDirectory(prefix="lsdih-bench-fastq-") as folder:
        scratch = Path(folder)
        genome = random_genome(1_000_000, seed=3)
        settings = SimulationSettings(read_count=args.reads, read_length=args.length, seed=3)
        for name in ("reads.fastq", "reads.fastq.gz"):
            path = scratch / name
            simulate_reads(genome, path, settings=settings)
            megabytes = (scratch / "reads.fastq").stat().st_size / 1e6
            run_lsdih(path)  # fills Numba's cache, so compiling is not timed
            results = {"lsdih": run_lsdih(path), "fastp": run_fastp(path, scratch), "seqkit": run_seqkit(path)}
            for tool, (seconds, counts) in results.items():
                rows.append((name, tool, seconds, megabytes / seconds, seconds / results["lsdih"][0],
                             counts["reads"], counts["bases"], f"{counts['q30_percent']:.3f}"))
            document[name] = {tool: {"seconds": s, **c} for tool, (s, c) in results.items()}
    print_table(
        f"FASTQ profile, {args.reads} reads x {args.length} bp, one thread "
        "(MB/s of uncompressed FASTQ; 'x lsdih' = tool time / lsdih time)",
        ("file", "tool", "seconds", "MB/s", "x lsdih", "reads", "bases", "Q30 %"),
        rows,
    )
    save_json(args.json, document)
    return 0
