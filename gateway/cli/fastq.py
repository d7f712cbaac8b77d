"""``lsdih fastq``: check FASTQ files before they are run or uploaded, and profile them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from gateway.cli.common import console, out, print_json
from workflows.common.sequence_files import SequenceFileError

# The kernels (and Numba) are imported by the commands that use them, not when any
# `lsdih` command starts.

app = typer.Typer(help="Check and profile FASTQ files.", no_args_is_help=True)


@app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="FASTQ files, plain or gzip."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Validate FASTQ files (Cock et al. 2010); stop at the first defect with its file,
    record, line and kind (exit 1)."""
    from workflows.common.fastq_validation import count_valid_fastq_records

    checked = []
    for path in files:
        try:
            records = count_valid_fastq_records(path)
        except (SequenceFileError, OSError) as error:
            problem = {"path": str(path), "valid": False, "error": str(error),
                       "record": getattr(error, "record", None), "line": getattr(error, "line", None)}
            if as_json:
                print_json([*checked, problem])
            else:
                console.print(f"[bold red]error:[/] {error}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        checked.append({"path": str(path), "valid": True, "records": records})
        if not as_json:
            out.print(f"{path}: ok, {records} records", markup=False)
    if as_json:
        print_json(checked)


QUALITY_OFFSETS = ("auto", "33", "64")


def _stats_rows(paths: list[Path], profiles: list) -> list[tuple[str, ...]]:
    def number(value, digits=2):
        return "NA" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"

    summaries = [profile.summary() for profile in profiles]
    rows = [("", *(str(path) for path in paths))]
    for label, key in (
        ("reads", "reads"), ("bases", "bases"), ("min length", "min_length"), ("mean length", "mean_length"),
        ("max length", "max_length"), ("GC %", "gc_percent"), ("Q20 %", "q20_percent"), ("Q30 %", "q30_percent"),
        ("N %", "n_percent"), ("mean quality", "mean_quality"), ("duplicates % (estimate)", "duplicate_percent"),
    ):  # fmt: skip
        rows.append((label, *(number(summary[key]) for summary in summaries)))
    rows.append(("quality encoding", *(profile.encoding.description for profile in profiles)))
    return rows


@app.command("stats")
def stats(
    files: list[Path] = typer.Argument(..., help="A FASTQ file, or the two files of a pair (read 1, read 2); plain or gzip."),
    as_json: bool = typer.Option(False, "--json", help="Print a fastp-like JSON report (read1/read2 sections for a pair)."),
    quality_offset: str = typer.Option(
        "auto", "--quality-offset", help="Quality encoding: auto (detect from the data), 33 or 64."
    ),
) -> None:
    """Headline QC numbers of one FASTQ file or a pair: reads, bases, lengths, GC, Q20/Q30,
    N, quality encoding, duplication estimate. Stops at the first defect with its file,
    record and line (exit 1)."""
    if len(files) > 2:
        console.print("[bold red]error:[/] give one FASTQ file or the two files of a pair", markup=True)
        raise typer.Exit(2)
    if quality_offset not in QUALITY_OFFSETS:
        console.print(f"[bold red]error:[/] --quality-offset must be auto, 33 or 64, not {quality_offset!r}", markup=True)
        raise typer.Exit(2)
    from workflows.common.qc_metrics import fastp_like_report, profile_file

    profiles = []
    for path in files:
        try:
            profiles.append(profile_file(path, int(quality_offset) if quality_offset.isdigit() else quality_offset))
        except SequenceFileError as error:
            if as_json:
                print_json({"path": str(path), "error": str(error), "record": error.record, "line": error.line})
            else:
                console.print(f"[bold red]error:[/] {escape(str(error))}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    if len(profiles) == 2 and profiles[0].reads != profiles[1].reads:
        message = f"{files[1]} has {profiles[1].reads} reads but {files[0]} has {profiles[0].reads}: not a pair"
        console.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    for path, profile in zip(files, profiles):
        if profile.encoding.message:
            note = escape(f"{path}: {profile.encoding.message}")
            console.print(f"[yellow]note:[/] {note}", markup=True, highlight=False, soft_wrap=True)
    if as_json:
        print_json(fastp_like_report(profiles, files))
        return
    rows = _stats_rows(files, profiles)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        out.print("  ".join(cells).rstrip(), markup=False)
