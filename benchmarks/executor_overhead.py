"""Dask executor vs Snakemake's local executor: per-job overhead and speed-up on 2 workers.

Two generated workflows run through the plain Snakemake CLI:
- ``trivial``: N jobs that each write one small file. With one job in flight at a time,
  the per-job cost is (T(N) - T(1)) / (N - 1), which removes Snakemake's start-up and
  DAG building (and the LocalCluster start) from the figure.
- ``cpu``: M independent jobs that each spin a fixed amount of Python work (calibrated
  to about S seconds on this machine at start).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.timing import Measurement, measure, print_table, save_json

TRIVIAL = """
rule all:
    input: expand("out/{{i}}.txt", i=range({jobs}))

rule touch:
    output: "out/{{i}}.txt"
    log: "logs/{{i}}.log"
    resources: mem_mb=100
    shell: "echo {{wildcards.i}} > {{output}} 2> {{log}}"
"""

CPU = """
rule all:
    input: expand("out/{{i}}.txt", i=range({jobs}))

rule spin:
    output: "out/{{i}}.txt"
    log: "logs/{{i}}.log"
    threads: 1
    resources: mem_mb=100
    shell: "{python} -c 'total = sum(i * i for i in range({iterations})); print(total)' > {{output}} 2> {{log}}"
"""

SPIN = "sum(i * i for i in range({n}))"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trivial-jobs", type=int, default=40, help="jobs of the trivial workflow (default 40)")
    parser.add_argument("--cpu-jobs", type=int, default=8, help="jobs of the CPU-bound workflow (default 8)")
    parser.add_argument("--cpu-seconds", type=float, default=4.0, help="CPU seconds per CPU-bound job (default 4)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def spin_iterations(seconds: float) -> int:
    """Iterations of the CPU job's loop that take about ``seconds`` here."""
    n = 200_000
    while True:
        started = time.perf_counter()
        eval(SPIN.format(n=n))
        elapsed = time.perf_counter() - started
        if elapsed > 0.2:
            return int(n * seconds / elapsed)
        n *= 2


def snakemake(snakefile: Path, workdir: Path, executor: str, jobs: int, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), "--directory", str(workdir), "--quiet", "all"]
    if executor == "local":
        return command + ["--executor", "local", "--cores", str(jobs), *extra]
    return command + ["--executor", "dask", "--jobs", str(jobs), "--dask-workers", str(jobs),
                      "--dask-threads-per-worker", "1", "--dask-memory-per-worker-mb", "2000", *extra]


class Bench:
    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.count = 0

    def workflow(self, name: str, text: str) -> Path:
        path = self.scratch / f"{name}.smk"
        path.write_text(text)
        return path

    def time(self, label: str, snakefile: Path, executor: str, jobs: int, *extra: str) -> Measurement:
        self.count += 1
        workdir = self.scratch / f"run{self.count}"
        workdir.mkdir()
        result = measure(label, snakemake(snakefile, workdir, executor, jobs, *extra), self.scratch, workdir.with_suffix(".log"))
        print(f"  {label}: {result.seconds:.2f} s", flush=True)
        return result


def main(args: argparse.Namespace) -> int:
    n, m = args.trivial_jobs, args.cpu_jobs
    with tempfile.TemporaryDirectory(prefix="lsdih-bench-executor-") as folder:
        bench = Bench(Path(folder))
        one = bench.workflow("trivial1", TRIVIAL.format(jobs=1))
        many = bench.workflow("trivialN", TRIVIAL.format(jobs=n))
        grouped = ("--groups", "touch=batch", "--group-components", f"batch={max(1, n // 4)}")
        print(f"trivial workflow, {n} jobs")
        serial = {
            "local": (bench.time("local, 1 job", one, "local", 1), bench.time(f"local, {n} jobs", many, "local", 1)),
            "dask": (bench.time("dask, 1 job", one, "dask", 1), bench.time(f"dask, {n} jobs", many, "dask", 1)),
            "dask, groups of n/4": (bench.time("dask grouped, 1 job", one, "dask", 1, *grouped),
                                    bench.time(f"dask grouped, {n} jobs", many, "dask", 1, *grouped)),
        }
        parallel = {"local": bench.time(f"local 2 cores, {n} jobs", many, "local", 2),
                    "dask": bench.time(f"dask 2 workers, {n} jobs", many, "dask", 2)}

        iterations = spin_iterations(args.cpu_seconds)
        cpu = bench.workflow("cpu", CPU.format(jobs=m, python=sys.executable, iterations=iterations))
        print(f"CPU-bound workflow, {m} jobs of ~{args.cpu_seconds:g} s ({iterations} iterations)")
        cpu_times = {
            "local, 1 core": bench.time("local 1 core", cpu, "local", 1),
            "local, 2 cores": bench.time("local 2 cores", cpu, "local", 2),
            "dask, 1 worker": bench.time("dask 1 worker", cpu, "dask", 1),
            "dask, 2 workers": bench.time("dask 2 workers", cpu, "dask", 2),
        }

    per_job = {name: (times[1].seconds - times[0].seconds) / (n - 1) for name, times in serial.items()}
    print_table(
        f"Trivial workflow: per-job cost with one job in flight ({n} jobs vs 1)",
        ("executor", "T(1) s", f"T({n}) s", "per job s", "vs local"),
        [(name, t[0].seconds, t[1].seconds, per_job[name], per_job[name] / per_job["local"]) for name, t in serial.items()],
    )
    print_table(
        f"Trivial workflow, two in flight ({n} jobs)",
        ("executor", "wall s", "vs local"),
        [(name, t.seconds, t.seconds / parallel["local"].seconds) for name, t in parallel.items()],
    )
    speedup = cpu_times["dask, 1 worker"].seconds / cpu_times["dask, 2 workers"].seconds
    local_speedup = cpu_times["local, 1 core"].seconds / cpu_times["local, 2 cores"].seconds
    print_table(
        f"CPU-bound workflow ({m} jobs of ~{args.cpu_seconds:g} CPU s)",
        ("configuration", "wall s", "vs local 1 core"),
        [(name, t.seconds, cpu_times["local, 1 core"].seconds / t.seconds) for name, t in cpu_times.items()],
    )
    print(f"\nspeed-up 1 -> 2 Dask workers: {speedup:.2f}x (target >= 1.8x); local 1 -> 2 cores: {local_speedup:.2f}x")
    save_json(args.json, {"per_job_seconds": per_job, "serial": serial, "parallel": parallel, "cpu": cpu_times,
                          "dask_speedup_1_to_2_workers": speedup, "local_speedup_1_to_2_cores": local_speedup})
    return 0
