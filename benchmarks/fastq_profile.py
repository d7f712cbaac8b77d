"""FASTQ quality profile: lsdih's kernel vs seqtk fqchk, fastp and seqkit on the same simulated reads.

Each tool profiles the whole file on one thread:
- lsdih: `workflows.common.qc_metrics.profile_file` (the full QC profile: per-position
  base and quality histograms, lengths, per-read mean quality and GC, adapter content,
  duplication sample, overrepresented sequences) over the 16 MiB blocks of
  `read_blocks` (ISA-L for gzip), as the fastq-qc job does, in a fresh process whose
  Numba code comes from its cache. Two times are shown: the whole process, and the
  profile alone inside it (after imports and loading the compiled kernel); a gzip file
  is inflated one block ahead in a second thread, and ISA-L inflating the same file
  alone (one thread, same blocks) is timed in that process too;
- `seqtk fqchk` (per-position base and quality table);
- `fastp -w 1` with every filter and trimming step off and no output reads;
- `seqkit stats -a -j 1`.
Reads, bases and Q30 % of each are printed side by side, so a disagreement shows at
once, with the wall time, MB/s of uncompressed FASTQ, peak resident memory and the
ratio of each tool's time to lsdih's (above 1: lsdih is faster).
Install the peers first: `apt-get install -y seqtk fastp seqkit time`.
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
import json, sys, time
from isal import igzip
from kernels.fastq_profile import profile_fastq_blocks
from workflows.common.qc_metrics import profile_file
profile_fastq_blocks([b"@w\\nA\\n+\\nI\\n"])  # loads the compiled kernels from Numba's cache
inflate = None
if sys.argv[1].endswith(".gz"):  # ISA-L inflating alone, in the same blocks, one thread
    started, cpu_started = time.perf_counter(), time.process_time()
    with igzip.open(sys.argv[1]) as handle:
        while handle.read(16 << 20):
            pass
    inflate = {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu_started}
started, cpu_started = time.perf_counter(), time.process_time()
profile = profile_file(sys.argv[1])
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
print(json.dumps({"summary": profile.summary(), "seconds": seconds, "cpu_seconds": cpu_seconds, "inflate": inflate}))
"""
PEERS = ("seqtk", "fastp", "seqkit")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reads", type=int, default=1_000_000, help="simulated reads (default 1,000,000)")
    parser.add_argument("--length", type=int, default=150, help="read length (default 150)")
    parser.add_argument("--plain-only", action="store_true", help="skip the gzip file")
    parser.add_argument(
        "--scale", type=int, default=5, help="also profile the plain file repeated this many times, for memory (default 5; 1: skip)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def timed(command: list[str], output: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak resident memory (MB) of
    `command`; stdout goes to `output`.

    GNU time measures CPU and memory: a child forked from this Python process would count
    the parent's pages until it execs. On a machine shared with other work, CPU seconds
    vary less than wall seconds.
    """
    usage = output.with_suffix(".usage")
    with open(output, "wb") as handle:
        started = time.perf_counter()
        completed = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", str(usage), *command], stdout=handle,
                                   stderr=subprocess.PIPE)  # fmt: skip
        seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {completed.stderr.decode()[-2000:]}")
    user, system, memory = usage.read_text().split()[-3:]
    return seconds, float(user) + float(system), int(memory) // 1024


def run_lsdih(path: Path, scratch: Path) -> dict:
    seconds, cpu, memory = timed([sys.executable, "-c", LSDIH_PROFILE, str(path)], scratch / "lsdih.out")
    result = json.loads((scratch / "lsdih.out").read_text())
    summary = result["summary"]
    return {"seconds": seconds, "cpu_seconds": cpu, "profile_seconds": result["seconds"],
            "profile_cpu_seconds": result["cpu_seconds"], "peak_mb": memory, "inflate": result["inflate"],
            "reads": summary["reads"], "bases": summary["bases"], "q30_percent": summary["q30_percent"]}  # fmt: skip


def run_seqtk(path: Path, scratch: Path) -> dict:
    seconds, cpu, memory = timed(["seqtk", "fqchk", str(path)], scratch / "seqtk.out")
    lines = (scratch / "seqtk.out").read_text().splitlines()
    header, total = lines[1].split("\t"), lines[2].split("\t")
    row = dict(zip(header, total))
    bases = int(row["#bases"])
    # Reads are not in fqchk's table; its header gives the mean length of non-empty reads.
    mean_length = float(lines[0].split("avg_len: ")[1].split(";")[0])
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": memory, "reads": round(bases / mean_length), "bases": bases,
            "q30_percent": None}  # fmt: skip


def run_fastp(path: Path, scratch: Path) -> dict:
    report = scratch / "fastp.json"
    command = ["fastp", "-i", str(path), "-w", "1", "-A", "-G", "-Q", "-L", "--json", str(report),
               "--html", str(scratch / "fastp.html")]  # fmt: skip
    seconds, cpu, memory = timed(command, scratch / "fastp.out")
    before = json.loads(report.read_text())["summary"]["before_filtering"]
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": memory, "reads": before["total_reads"], "bases": before["total_bases"],
            "q30_percent": 100 * before["q30_rate"]}  # fmt: skip


def run_seqkit(path: Path, scratch: Path) -> dict:
    seconds, cpu, memory = timed(["seqkit", "stats", "-a", "-T", "-j", "1", str(path)], scratch / "seqkit.out")
    header, values = (line.split("\t") for line in (scratch / "seqkit.out").read_text().strip().splitlines()[:2])
    row = dict(zip(header, values))
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": memory, "reads": int(row["num_seqs"]), "bases": int(row["sum_len"]),
            "q30_percent": float(row["Q30(%)"])}  # fmt: skip


def table_row(name: str, tool: str, figures: dict, lsdih: dict, megabytes: float) -> tuple:
    q30 = figures["q30_percent"]
    return (name, tool, figures["seconds"], figures["cpu_seconds"], megabytes / figures["seconds"],
            figures["cpu_seconds"] / lsdih["cpu_seconds"], figures["cpu_seconds"] / lsdih["profile_cpu_seconds"],
            "" if figures["peak_mb"] is None else figures["peak_mb"], figures["reads"], figures["bases"],
            "" if q30 is None else f"{q30:.3f}")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    missing = [tool for tool in PEERS if shutil.which(tool) is None]
    if missing:
        print(f"missing peer tools: {', '.join(missing)} (apt-get install -y {' '.join(missing)})", file=sys.stderr)
        return 2
    rows, document, notes = [], {}, []
    with tempfile.TemporaryDirectory(prefix="lsdih-bench-fastq-") as folder:
        scratch = Path(folder)
        genome = random_genome(1_000_000, seed=3)
        settings = SimulationSettings(read_count=args.reads, read_length=args.length, seed=3)
        names = ("reads.fastq",) if args.plain_only else ("reads.fastq", "reads.fastq.gz")
        for name in names:
            path = scratch / name
            simulate_reads(genome, path, settings=settings)
            megabytes = (scratch / "reads.fastq").stat().st_size / 1e6
            run_lsdih(path, scratch)  # fills Numba's cache and the page cache, so neither is timed
            results = {"lsdih": run_lsdih(path, scratch)}
            for tool, runner in (("seqtk fqchk", run_seqtk), ("fastp", run_fastp), ("seqkit", run_seqkit)):
                results[tool] = runner(path, scratch)
            lsdih = results["lsdih"]
            inside = {**lsdih, "seconds": lsdih["profile_seconds"], "cpu_seconds": lsdih["profile_cpu_seconds"],
                      "peak_mb": None}  # fmt: skip
            for tool, figures in [("lsdih (process)", lsdih), ("lsdih (profile only)", inside), *list(results.items())[1:]]:
                rows.append(table_row(name, tool, figures, lsdih, megabytes))
            if lsdih["inflate"]:
                inflate = {**lsdih["inflate"], "peak_mb": None, "reads": "", "bases": "", "q30_percent": None}
                rows.append(table_row(name, "ISA-L inflate alone", inflate, lsdih, megabytes))
                notes.append(f"{name}: lsdih profiles at {100 * inflate['seconds'] / inside['seconds']:.0f}% of the speed "
                             "of ISA-L inflating alone (wall time; the file is inflated one block ahead in a thread)")
            document[name] = results
        if args.scale > 1:
            # Memory must not grow with the input: the same reads, `scale` times over.
            path = scratch / f"reads_x{args.scale}.fastq"
            with open(path, "wb") as output:
                for _ in range(args.scale):
                    with open(scratch / "reads.fastq", "rb") as source:
                        shutil.copyfileobj(source, output, 16 << 20)
            megabytes = path.stat().st_size / 1e6
            results = {"lsdih": run_lsdih(path, scratch), "seqtk fqchk": run_seqtk(path, scratch)}
            for tool, figures in results.items():
                rows.append(table_row(path.name, tool, figures, results["lsdih"], megabytes))
            document[path.name] = results
    print_table(
        f"FASTQ profile, {args.reads} reads x {args.length} bp, one thread, plus one inflating gzip ahead (MB/s of uncompressed FASTQ by wall time; "
        "'x process' / 'x profile' = tool's CPU seconds / lsdih's, whole process / profile only)",
        ("file", "tool", "wall s", "cpu s", "MB/s", "x process", "x profile", "peak MB", "reads", "bases", "Q30 %"),
        rows,
    )
    for note in notes:
        print(note)
    save_json(args.json, document)
    return 0
