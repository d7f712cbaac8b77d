"""``lsdih workflows``: the catalogue, for centre staff who author and publish workflows."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from gateway.cli.common import catalogue, console, fail, out, print_json, settings
from gateway.cli.progress import ProgressBar
from jobs.catalogue import ManifestError, Workflow, WorkflowNotFound, read_manifest
from jobs.lint import lint_workflow
from jobs.selftest import run_selftest

app = typer.Typer(help="List, inspect, lint and test the catalogue's workflows.", no_args_is_help=True)


def _draft_folder(name: Optional[str]) -> Optional[Path]:
    """NAME given as the path of a workflow folder (one being written, not yet published)."""
    return Path(name).resolve() if name and (Path(name) / "manifest.yaml").is_file() else None


def _folders(name: Optional[str]) -> list[Path]:
    """Folders to lint; read without parsing their manifests, which lint reports on."""
    draft = _draft_folder(name)
    if draft:
        return [draft]
    return [workflow.folder for workflow in _selected(name)] if name else catalogue().folders()


def _selected(name: Optional[str]) -> list[Workflow]:
    """All workflows, one by NAME[@VERSION], or the workflow folder at a path (a draft)."""
    try:
        if draft := _draft_folder(name):
            return [Workflow(draft, read_manifest(draft))]
        return [catalogue().get(name)] if name else catalogue().workflows()
    except (WorkflowNotFound, ManifestError) as error:
        fail(str(error))


@app.command("list")
def list_workflows(as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """List the workflows of the catalogue."""
    workflows = _selected(None)
    if as_json:
        print_json([{"name": w.name, "version": w.version, "title": w.manifest.title} for w in workflows])
        return
    table = Table("name", "version", "title", "inputs")
    for workflow in workflows:
        inputs = ", ".join(f"{i.name} ({i.format_label}{', list' if i.multiple else ''})" for i in workflow.manifest.inputs)
        table.add_row(workflow.name, workflow.version, workflow.manifest.title, inputs)
    out.print(table)


@app.command("show")
def show_workflow(
    name: str = typer.Argument(..., help="Workflow name, optionally NAME@VERSION."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show a workflow's inputs, parameters (JSON Schema) and declared outputs."""
    workflow = _selected(name)[0]
    description = workflow.describe()
    if as_json:
        print_json(description)
        return
    manifest = workflow.manifest
    out.print(f"[bold]{manifest.name}[/] {manifest.version} - {manifest.title}\n{manifest.description}\n")
    inputs = Table("input", "format", "list", "paired", "description", title="Inputs")
    for spec in manifest.inputs:
        inputs.add_row(spec.name, spec.format_label, str(spec.multiple), str(spec.paired), spec.description)
    params = Table("parameter", "type", "default", "allowed", "description", title="Parameters (--param KEY=VALUE)")
    for key, spec in workflow.params_schema.get("properties", {}).items():
        allowed = spec.get("enum") or [f"{k}={spec[k]}" for k in ("minimum", "maximum") if k in spec]
        params.add_row(key, str(spec.get("type")), str(spec.get("default")), ", ".join(map(str, allowed)), spec.get("description", ""))
    outputs = Table("output", "format", "description", title="Outputs")
    for output in manifest.outputs:
        outputs.add_row(output.path, output.format, output.description)
    for table in (inputs, params, outputs):
        out.print(table)


@app.command("lint")
def lint(name: Optional[str] = typer.Argument(None, help="A workflow NAME or the path of a workflow folder; all when omitted.")) -> None:
    """Check manifests, parameter schemas, test configs and `snakemake --lint` (every rule has a log)."""
    failed = 0
    for folder in _folders(name):
        problems = lint_workflow(folder)
        failed += bool(problems)
        status = "[green]ok[/]" if not problems else f"[red]{len(problems)} problem(s)[/]"
        out.print(f"{folder.name}: {status}")
        for problem in problems:
            out.print(f"  - {problem}", markup=False)
    if failed:
        raise typer.Exit(1)


@app.command("test")
def test(
    name: Optional[str] = typer.Argument(None, help="A workflow NAME or the path of a workflow folder; all when omitted."),
    executor: str = typer.Option("dask", help="dask or local."),
    keep: Optional[Path] = typer.Option(None, help="Run in this folder and keep it (one workflow only)."),
) -> None:
    """Run each workflow's own .test/ case and check that every declared output was made."""
    current = settings()
    workflows = _selected(name)
    if keep and len(workflows) != 1:
        fail("--keep needs a single workflow name")
    failed = 0
    for workflow in workflows:
        with ProgressBar(console, f"{workflow.name} {workflow.version}") as progress:
            result = run_selftest(workflow, current, executor=executor, keep=keep, on_progress=progress.update)
        if result.passed:
            out.print(f"{workflow.name}: [green]passed[/] ({len(result.outputs)} output files)")
            continue
        failed += 1
        out.print(f"{workflow.name}: [red]failed[/] ({result.state})")
        if result.missing:
            out.print(f"  missing outputs: {', '.join(result.missing)}", markup=False)
        if result.failure:
            out.print(f"  {result.failure['message']}\n{result.failure['log_tail']}", markup=False)
    if failed:
        raise typer.Exit(1)
