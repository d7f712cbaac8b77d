"""``lsdih reference``: centre staff register reference genomes and protein databases in the data directory."""

from __future__ import annotations

import getpass
from enum import Enum
from pathlib import Path
from typing import NoReturn, Optional

import typer
from rich.markup import escape

from gateway.cli.common import fail, out, print_json, settings
from jobs.references import add_reference, list_references, reference_versions, remove_reference, resolve_reference
from reference.errors import (
    FastaFormatError,
    InvalidReferenceRequest,
    ReferenceDataError,
    ReferenceIntegrityError,
)
from reference.fasta_check import GENOME
from reference.prepare import MINIMAP2_PRESETS
from reference.registry import RegisteredReference, parse_spec

app = typer.Typer(
    help=("Register reference genomes (FASTA -> BGZF, faidx, minimap2 indexes, refget digests) and protein "
          "databases (--kind protein: BGZF, faidx, refget digests). "
          "Exit codes: 1 for a defective FASTA or reference files that fail their check, "
          "2 for a bad name or version, a missing reference or a version that exists."),
    no_args_is_help=True,
)


class Kind(str, Enum):
    genome = "genome"
    protein = "protein"


def _fail(error: ReferenceDataError) -> NoReturn:
    data_problem = isinstance(error, (FastaFormatError, ReferenceIntegrityError))
    fail(escape(str(error)), 1 if data_problem else 2)


def _unit(registered: RegisteredReference) -> str:
    return "bp" if registered.kind == GENOME else "aa"


def _summary_line(registered: RegisteredReference) -> str:
    manifest = registered.prepared.manifest
    return (f"{registered.spec:<28} {registered.kind:<7} {manifest['sequence_count']:>5} seq "
            f"{manifest['total_length']:>13,} {_unit(registered)}  {manifest['collection_digest']}  "
            f"{registered.description}")


def _print_details(registered: RegisteredReference, versions: list[int]) -> None:
    document = registered.as_dict()
    out.print(f"{registered.spec}  (versions: {', '.join(map(str, versions))})", markup=False)
    for key in ("kind", "description", "added_at", "added_by", "source_file_name", "collection_digest",
                "sequence_count", "total_length"):
        out.print(f"  {key:<18} {document[key]}", markup=False)
    if registered.kind == GENOME:
        out.print(f"  {'minimap2 presets':<18} {', '.join(document['minimap2_presets'])}", markup=False)
    out.print(f"  {'folder':<18} {registered.folder}", markup=False)
    out.print("  sequences:", markup=False)
    for sequence in document["sequences"]:
        out.print(f"    {sequence['name']:<24} {sequence['length']:>13,} {_unit(registered)}  md5 {sequence['md5']}  {sequence['refget']}",
                  markup=False)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Reference name: 1-64 letters, digits, '.', '_', '-'."),
    fasta: Path = typer.Argument(..., help="FASTA, plain or gzip: IUPAC nucleotide codes only for a genome, "
                                 "IUPAC amino-acid codes only for a protein database."),
    kind: Kind = typer.Option(Kind.genome, "--kind", help="genome (nucleotides; minimap2 indexes) or protein "
                              "(a protein database for peptide-search; no minimap2 index)."),
    version: Optional[int] = typer.Option(None, "--version", min=1,
                                          help="Version number (default: one more than the highest; 1 for a new name)."),
    description: str = typer.Option("", "--description", help="What the reference is (free text)."),
    preset: list[str] = typer.Option(
        [], "--preset", help=f"Also build this minimap2 index ({', '.join(MINIMAP2_PRESETS[1:])}); repeatable. "
        "The short-read 'sr' index is always built for a genome; a protein database takes none."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Check a FASTA and register it: BGZF copy, .fai/.gzi, minimap2 indexes (genomes) and digests.

    A defective FASTA (empty, no sequences, an empty sequence, duplicate names, characters
    other than IUPAC nucleotide codes, or amino-acid codes for --kind protein, where '*'
    is refused too) is refused with the file, line, column and sequence named, and nothing
    is registered. A version, once added, never changes.
    """
    try:
        registered = add_reference(settings(), name, fasta, version, description,
                                   added_by=f"cli:{getpass.getuser()}", presets=preset, kind=kind.value)
    except ReferenceDataError as error:
        _fail(error)
    if as_json:
        print_json(registered.as_dict())
        return
    out.print(f"reference {registered.spec} added", markup=False)
    out.print(_summary_line(registered), markup=False)


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """List every version of every registered reference with its kind and collection digest."""
    try:
        registered = list_references(settings())
    except ReferenceDataError as error:
        _fail(error)
    if as_json:
        print_json([item.as_dict() for item in registered])
        return
    if not registered:
        out.print("no references registered (lsdih reference add NAME FASTA)", markup=False)
    for item in registered:
        out.print(_summary_line(item), markup=False)


@app.command("show")
def show(
    reference: str = typer.Argument(..., help="NAME or NAME@VERSION (the latest version when omitted)."),
    verify: bool = typer.Option(False, "--verify",
                                help="Recompute every digest from the stored files instead of the quick size/time check."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show one version: kind, metadata, per-sequence length, MD5 and refget digest; checks its files."""
    current = settings()
    try:
        registered = resolve_reference(current, reference, full_check=verify)
        versions = [item.version for item in reference_versions(current, registered.name)]
    except ReferenceDataError as error:
        _fail(error)
    if as_json:
        print_json({**registered.as_dict(), "versions": versions, "folder": str(registered.folder),
                    "checked": "full" if verify else "quick"})
        return
    _print_details(registered, versions)
    out.print(f"  {'check':<18} {'every digest recomputed: OK' if verify else 'file sizes and times: OK'}", markup=False)


@app.command("remove")
def remove(reference: str = typer.Argument(..., help="NAME@VERSION: one version, named explicitly.")) -> None:
    """Delete one version of a reference at once, whether or not runs used it."""
    try:
        name, version = parse_spec(reference)
        if version is None:
            raise InvalidReferenceRequest(f"give the version to remove: {name}@VERSION")
        remove_reference(settings(), name, version)
    except ReferenceDataError as error:
        _fail(error)
    out.print(f"reference {name}@{version} removed", markup=False)
