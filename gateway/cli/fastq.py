"""``lsdih fastq``: check FASTQ files before they are run or uploaded."""

from __future__ import annotations

from pathlib import Path

import typer

from gateway.cli.common import console, out, print_json
from workflows.common.sequence_files import SequenceFileError, count_valid_fastq_records

app = typer.Typer(help="Check FASTQ files.", no_args_is_help=True)


@app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="FASTQ files, plain or gzip."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Validate FASTQ files (Cock et al. 2010); stop at the first defect with its file,
    record, line and kind (exit 1)."""
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
