"""align-variants against the pipeline a bioinformatician would type, on the same reads.

Reads are simulated (seeded) from a copy of a real reference (SARS-CoV-2 MN908947.3 from
../shared/testdata, or a random genome) carrying seeded SNPs, so the variants to find
are known. Measured in the same invocation, one and two threads:

- the whole workflow: ``lsdih run align-variants --executor local`` (preparing the
  reference, alignment through mappy with BAM records from our kernel, sort and index,
  depth and coverage, bcftools calling and normalisation, consensus, report);
- the hand-typed pipeline: ``minimap2 -ax sr | samtools sort``, ``samtools index``,
  ``samtools depth -a``, ``bcftools mpileup | bcftools call -mv``, ``bcftools norm``,
  ``bcftools consensus``;
- alignment alone: mappy + the BAM record kernel (``workflows.common.alignment.align_reads``) vs
  the ``minimap2`` command writing SAM, in reads/s;
- depth alone: our kernel over the BAM's records (its bytes) vs ``samtools depth -a``;
- and where our 2-thread run's time went: each job's start and duration, from the run
  store's task records.

Peak RSS is that of the largest single process (wait4), not the sum over a pipeline.
Each command starts as a fresh process, so Python start-up counts on our side.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from benchmarks import timing
from benchmarks.timing import print_table, save_json

PEERS = ("minimap2", "samtools", "bcftools")
TESTDATA_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "genomes" / "sarscov2_reference" / "reference_seq.fasta"

SIMULATE = """
import sys
import numpy as np
from pathlib import Path
from reference.simulate import SimulationSettings, first_fasta_sequence, random_genome, simulate_reads
reference_path, sample_fasta, read_1, read_2, pairs, snps = sys.argv[1:7]
genome = first_fasta_sequence(reference_path) if reference_path != "-" else random_genome(30_000, seed=3)
if reference_path == "-":
    Path(sys.argv[7]).write_text(">genome\\n" + genome + "\\n")
rng = np.random.default_rng(11)
sample = bytearray(genome.upper().encode())
for position in sorted(rng.choice(np.arange(200, len(sample) - 200, 97), int(snps), replace=False)):
    sample[position] = next(base for base in b"ACGT" if base != sample[position])
Path(sample_fasta).write_text(">sample\\n" + sample.decode() + "\\n")
settings = SimulationSettings(read_count=int(pairs), read_length=150, fragment_mean=350.0, fragment_sd=50.0,
                              substitution_rate=0.002, seed=7)
simulate_reads(sample.decode(), Path(read_1), Path(read_2), settings=settings)
"""

ALIGN_ONLY = """
import sys
from pathlib import Path
from reference.prepare import quick_check
from workflows.common.alignment import AlignmentSettings, ReferenceSequence, align_reads, load_aligner, reference_arrays
folder, read_1, read_2, output, threads = sys.argv[1:6]
prepared = quick_check(Path(folder))
sequences = [ReferenceSequence(s["name"], s["length"], s["md5"]) for s in prepared.sequences]
align_reads(load_aligner(prepared.minimap2_index("sr"), "sr"), reference_arrays(prepared.fasta, sequences), sequences,
            [read_1, read_2], output, "bench", AlignmentSettings(threads=int(threads)))
"""

DEPTH_ONLY = """
import sys
from workflows.common.bam_coverage import bam_depth, write_depth_table
write_depth_table(bam_depth(sys.argv[1], threads=1), sys.argv[2])  # as samtools depth: one thread
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=int, default=200_000, help="simulated read pairs, 2 x 150 bp (default 200,000)")
    parser.add_argument("--snps", type=int, default=40, help="seeded SNPs in the sample's genome (default 40)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def run_measured(command: list[str] | str) -> tuple[float, float]:
    """(wall seconds, peak RSS MB of the largest process) of a command or a bash pipeline."""
    usage = timing.run_measured(command)
    return usage.seconds, usage.peak_rss_mb


def lsdih_command() -> list[str]:
    installed = Path(sys.executable).with_name("lsdih")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "gateway.cli"]


def hand_typed(reference: Path, read_1: Path, read_2: Path, folder: Path, threads: int) -> str:
    q = {name: shlex.quote(str(path)) for name, path in
         {"ref": reference, "r1": read_1, "r2": read_2, "bam": folder / "hand.bam", "raw": folder / "raw.vcf.gz",
          "vcf": folder / "hand.vcf.gz", "depth": folder / "hand.depth.tsv", "fa": folder / "hand.consensus.fa"}.items()}
    t = str(threads)
    return " && ".join([
        f"minimap2 -ax sr -t {t} {q['ref']} {q['r1']} {q['r2']} | samtools sort -@ {t} -o {q['bam']} -",
        f"samtools index {q['bam']}",
        f"samtools depth -a {q['bam']} > {q['depth']}",
        f"bcftools mpileup --threads {t} -f {q['ref']} {q['bam']} -Ou | bcftools call -mv -Oz -o {q['raw']}",
        f"bcftools norm -f {q['ref']} {q['raw']} -Oz -o {q['vcf']}",
        f"bcftools index {q['vcf']}",
        f"bcftools consensus -f {q['ref']} {q['vcf']} > {q['fa']}",
    ])


def job_timeline(lsdih: list[str]) -> list[tuple]:
    """(rule, start, seconds) of each job of the latest run, from its run start (the run
    store's task records), and the time from the last job's end to the run's end."""
    latest = json.loads(subprocess.run(lsdih + ["runs", "list", "--json", "--limit", "1"], check=True,
                                       capture_output=True, text=True).stdout)[0]["run_id"]
    run = json.loads(subprocess.run(lsdih + ["runs", "show", latest, "--json"], check=True, capture_output=True,
                                    text=True).stdout)
    started, ended = datetime.fromisoformat(run["started_at"]), datetime.fromisoformat(run["ended_at"])
    rows = []
    for task in run["tasks"]:
        if task["start_time"] and task["end_time"]:
            first, last = datetime.fromisoformat(task["start_time"]), datetime.fromisoformat(task["end_time"])
            rows.append((task["rule"], (first - started).total_seconds(), (last - first).total_seconds()))
    last_end = max((start + seconds for _, start, seconds in rows), default=0.0)
    rows.append(("(last job's end to the run's end)", last_end, (ended - started).total_seconds() - last_end))
    return rows


def _variants(vcf: Path) -> set[tuple]:
    import pysam

    with pysam.VariantFile(str(vcf)) as calls:
        return {(record.chrom, record.pos, record.ref, record.alts) for record in calls}


def main(args: argparse.Namespace) -> int:
    missing = [tool for tool in PEERS if shutil.which(tool) is None]
    if missing:
        print(f"missing peer tools: {' '.join(missing)} (apt-get install -y {' '.join(PEERS)})", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lsdih-bench-align-") as scratch_name:
        scratch = Path(scratch_name)
        reference = scratch / "reference.fa"
        if TESTDATA_REFERENCE.exists():
            shutil.copyfile(TESTDATA_REFERENCE, reference)
            source = "MN908947.3"
        else:
            source = "random 30 kb genome"
        read_1, read_2 = scratch / "sample_R1.fastq.gz", scratch / "sample_R2.fastq.gz"
        subprocess.run([sys.executable, "-c", SIMULATE, str(reference) if TESTDATA_REFERENCE.exists() else "-",
                        str(scratch / "truth.fa"), str(read_1), str(read_2), str(args.pairs), str(args.snps),
                        str(reference)], check=True)
        # The first run fills Numba's cache and is not counted.
        lsdih = lsdih_command()
        inputs = ["-i", f"reads={read_1}", "-i", f"reads={read_2}", "-i", f"reference={reference}"]
        run_measured(lsdih + ["run", "align-variants", *inputs, "-o", str(scratch / "warm"), "--executor", "local",
                              "--cores", "1", "--json"])
        rows, figures = [], {}
        for threads in (1, 2):
            ours = run_measured(lsdih + ["run", "align-variants", *inputs, "-o", str(scratch / f"ours{threads}"),
                                         "--executor", "local", "--cores", str(threads), "--json"])
            folder = scratch / f"hand{threads}"
            folder.mkdir()
            theirs = run_measured(hand_typed(reference, read_1, read_2, folder, threads))
            figures[f"workflow_{threads}"] = {"ours_s": ours[0], "ours_rss_mb": ours[1], "hand_s": theirs[0],
                                              "hand_rss_mb": theirs[1], "jobs": job_timeline(lsdih)}
            rows.append((f"whole pipeline, {threads} thread(s)", ours[0], theirs[0], theirs[0] / ours[0], ours[1], theirs[1]))

        prepared = scratch / "ours1" / "reference"
        for threads in (1, 2):
            ours = run_measured([sys.executable, "-c", ALIGN_ONLY, str(prepared), str(read_1), str(read_2),
                                 str(scratch / f"align{threads}.bam"), str(threads)])
            theirs = run_measured(f"minimap2 -ax sr -t {threads} {shlex.quote(str(reference))} "
                                  f"{shlex.quote(str(read_1))} {shlex.quote(str(read_2))} > /dev/null")
            reads = 2 * args.pairs
            figures[f"align_{threads}"] = {"ours_reads_per_s": reads / ours[0], "minimap2_reads_per_s": reads / theirs[0]}
            rows.append((f"alignment, {threads} thread(s) [reads/s: {reads / ours[0]:,.0f} vs {reads / theirs[0]:,.0f}]",
                         ours[0], theirs[0], theirs[0] / ours[0], ours[1], theirs[1]))
        bam = scratch / "hand1" / "hand.bam"
        ours = run_measured([sys.executable, "-c", DEPTH_ONLY, str(bam), str(scratch / "ours.depth.tsv")])
        theirs = run_measured(f"samtools depth -a {shlex.quote(str(bam))} > /dev/null")
        figures["depth"] = {"ours_s": ours[0], "samtools_s": theirs[0]}
        rows.append(("depth of every position", ours[0], theirs[0], theirs[0] / ours[0], ours[1], theirs[1]))
        # Last: pysam loaded here would count in every later child's peak RSS (fork).
        ours_vcf = scratch / "ours1" / "results" / "samples" / "sample.vcf.gz"
        agree = _variants(ours_vcf) == _variants(scratch / "hand1" / "hand.vcf.gz")
    print(f"{args.pairs:,} read pairs (2 x 150 bp) simulated from {source} with {args.snps} SNPs; "
          f"{os.cpu_count()} CPUs; variant sets of workflow and hand-typed pipeline equal: {agree}")
    print_table("jobs of our run with 2 threads (seconds from the run's start, as the run store recorded them)",
                ("job", "start s", "seconds"), figures["workflow_2"]["jobs"])
    print_table("lsdih vs the hand-typed Debian pipeline (ratio > 1: lsdih faster)",
                ("step", "lsdih s", "peer s", "peer/lsdih", "lsdih peak RSS MB", "peer peak RSS MB"), rows)
    save_json(args.json, {"arguments": {k: str(v) for k, v in vars(args).items()}, "variants_agree": agree, **figures})
    return 0
