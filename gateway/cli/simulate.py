"""``lsdih simulate reads``: seeded Illumina-like FASTQ for demos, tests and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from gateway.cli.common import fail, out, print_json
from reference.simulate import SimulationSettings, first_fasta_sequence, random_genome, simulate_reads

app = typer.Typer(help="Generate test data.", no_args_is_help=True)


@app.command("reads")
def reads(
    outdir: Path = typer.Option(..., "--outdir", "-o", help="Folder for the FASTQ files (created)."),
    samples: int = typer.Option(2, min=1, max=1000, help="How many samples (files or pairs of files)."),
    read_count: int = typer.Option(10_000, "--reads", min=1, help="Reads (or pairs) per sample."),
    read_length: int = typer.Option(150, "--length", min=1, max=100_000, help="Read length."),
    paired: bool = typer.Option(False, help="Write R1/R2 pairs."),
    genome: Optional[Path] = typer.Option(None, help="FASTA whose first sequence reads are drawn from."),
    genome_length: int = typer.Option(50_000, min=1, help="Length of the random genome when --genome is not given."),
    error_rate: float = typer.Option(0.001, min=0.0, max=1.0, help="Substitution rate per base."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same bytes."),
    gzip: bool = typer.Option(True, help="Write .fastq.gz (else plain .fastq)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Write simulated reads of a random (or given) genome, one file or pair per sample."""
    try:
        sequence = first_fasta_sequence(genome) if genome else random_genome(genome_length, seed=seed)
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the genome {genome}: {error}", 2)
    if not sequence:
        fail(f"{genome}: no sequence found", 2)
    outdir.mkdir(parents=True, exist_ok=True)
    suffix = ".fastq.gz" if gzip else ".fastq"
    written = []
    for index in range(1, samples + 1):
        names = [f"sample{index}_R1{suffix}", f"sample{index}_R2{suffix}"] if paired else [f"sample{index}{suffix}"]
        paths = [outdir / name for name in names]
        settings = SimulationSettings(
            read_count=read_count, read_length=read_length, substitution_rate=error_rate, seed=seed + index
        )
        result = simulate_reads(sequence, *paths, settings=settings) if paired else simulate_reads(sequence, paths[0], settings=settings)
        written.append({"sample": f"sample{index}", "paths": [str(p) for p in result.paths], "reads": result.reads, "bases": result.bases})
    if as_json:
        print_json(written)
        return
    for item in written:
        out.print(f"{item['sample']}: {item['reads']} reads, {item['bases']} bases -> {', '.join(item['paths'])}", markup=False)
