"""``lsdih run`` (a workflow on this machine) and ``lsdih runs`` (the recorded runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.table import Table

from gateway.cli.common import catalogue, console, fail, out, print_json, settings, store
from gateway.cli.progress import ProgressBar
from jobs.catalogue import ManifestError, WorkflowNotFound
from jobs.params import InvalidRunRequest, parse_cli_params
from jobs.references import resolve_run_references
from jobs.runner import RunBusy, cancel_run, execute_run, failure_of, prepare_run, resume_run
from jobs.states import IllegalTransition, RunState
from jobs.store import Run, RunNotFound, Store
from jobs.workspace import collect_outputs, driver_log_path

runs_app = typer.Typer(help="Recorded runs: list, show, cancel, resume.", no_args_is_help=True)


def parse_inputs(assignments: list[str]) -> dict[str, list[Path]]:
    inputs: dict[str, list[Path]] = {}
    for assignment in assignments:
        name, separator, path = assignment.partition("=")
        if not separator or not name or not path:
            fail(f"--input takes NAME=PATH, got {assignment!r}", 2)
        inputs.setdefault(name.strip(), []).append(Path(path))
    return inputs


def read_params_file(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        fail(f"cannot read the parameters file {path}: {error}", 2)
    if loaded is not None and not isinstance(loaded, dict):
        fail(f"{path}: the parameters file must hold a mapping of parameter names to values", 2)
    return loaded or {}


def summary(run_store: Store, run: Run) -> dict[str, Any]:
    """What `run --json` and `runs show --json` print."""
    document: dict[str, Any] = {
        "run_id": run.id,
        "workflow": run.workflow,
        "version": run.workflow_version,
        "state": run.state,
        "workdir": run.workdir,
        "executor": run.executor,
        "attempt": run.attempt,
        "jobs": {"done": run.jobs_done, "total": run.jobs_total},
        "params": run.params,
        "inputs": run.inputs,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "duration_seconds": (run.ended_at - run.started_at).total_seconds() if run.ended_at and run.started_at else None,
        "driver_log": str(driver_log_path(Path(run.workdir))),
    }
    try:
        workflow = catalogue().get(f"{run.workflow}@{run.workflow_version}")
        document["outputs"], document["missing_outputs"] = collect_outputs(workflow, Path(run.workdir))
    except (WorkflowNotFound, ManifestError):
        document["outputs"], document["missing_outputs"] = [], []
    failure = failure_of(run_store, run)
    document["failure"] = failure.as_dict() if failure else None
    return document


def _print_summary(document: dict[str, Any]) -> None:
    state = document["state"]
    colour = "green" if state == RunState.COMPLETE else "red"
    out.print(f"run {document['run_id']} ({document['workflow']} {document['version']}): [{colour}]{state}[/]")
    out.print(f"jobs {document['jobs']['done']}/{document['jobs']['total']}, "
              f"{document['duration_seconds'] or 0:.1f} s, results in {document['workdir']}", markup=False)
    for output in document["outputs"]:
        out.print(f"  {output['path']}  ({output['size']} bytes)", markup=False)
    failure = document["failure"]
    if failure:
        out.print(f"[red]failed:[/] {failure['message']}")
        if failure["log_tail"]:
            out.print(f"--- last lines of {failure['log']} ---\n{failure['log_tail']}", markup=False)
        out.print(f"full log: {failure['log']}", markup=False)


def run(
    workflow: str = typer.Argument(..., help="Catalogue workflow, NAME or NAME@VERSION."),
    inputs: list[str] = typer.Option([], "--input", "-i", help="NAME=PATH; repeat for lists and pairs."),
    params: list[str] = typer.Option([], "--param", "-p", help="KEY=VALUE; typed by the parameter schema."),
    params_file: Optional[Path] = typer.Option(None, "--params-file", help="YAML or JSON mapping of parameters."),
    outdir: Path = typer.Option(..., "--outdir", "-o", help="Run folder; results/ and logs/ are written here. "
                                "Running again with the same folder resumes."),
    executor: Optional[str] = typer.Option(None, help="dask (default) or local."),
    cores: Optional[int] = typer.Option(None, min=1, help="Jobs in flight at once (default LSDIH_CORES)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of a progress bar."),
) -> None:
    """Run a workflow on this machine and wait for it; exits non-zero if it fails.

    Ctrl-C cancels the run: its jobs are killed and the run is recorded as CANCELED.
    """
    current = settings()
    executor = executor or current.executor
    if executor not in ("dask", "local"):
        fail(f"--executor must be dask or local, got {executor!r}", 2)
    run_store = store(current)
    try:
        chosen = catalogue().get(workflow)
        given = {**read_params_file(params_file)} if params_file else {}
        given.update(parse_cli_params(chosen.params_schema, params))
        references = resolve_run_references(current, chosen.params_schema, given)
        record = prepare_run(run_store, chosen, parse_inputs(inputs), given, outdir, executor, cores or current.cores,
                             references=references)
    except (WorkflowNotFound, ManifestError, RunBusy) as error:
        fail(str(error), 2)
    except InvalidRunRequest as error:
        if as_json:
            print_json({"state": "INVALID", "errors": [e.as_dict() for e in error.errors]})
            raise typer.Exit(2)
        fail(str(error), 2)
    with ProgressBar(console, f"{chosen.name} {chosen.version}", enabled=not as_json) as bar:
        record = execute_run(run_store, record.id, current, on_progress=bar.update)
    document = summary(run_store, record)
    print_json(document) if as_json else _print_summary(document)
    if record.run_state != RunState.COMPLETE:
        raise typer.Exit(130 if record.run_state == RunState.CANCELED else 1)


def _get(run_store: Store, run_id: str) -> Run:
    try:
        return run_store.get_run(run_id)
    except RunNotFound as error:
        fail(str(error))


@runs_app.command("list")
def list_runs(
    limit: int = typer.Option(20, min=1, help="How many of the latest runs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List the latest runs recorded in the run store."""
    records = store(settings()).list_runs(limit)
    if as_json:
        print_json([{"run_id": r.id, "workflow": r.workflow, "state": r.state, "created_at": r.created_at,
                     "workdir": r.workdir} for r in records])
        return
    table = Table("run", "workflow", "state", "jobs", "created", "folder")
    for r in records:
        table.add_row(r.id, f"{r.workflow} {r.workflow_version}", r.state, f"{r.jobs_done}/{r.jobs_total}",
                      r.created_at.strftime("%Y-%m-%d %H:%M:%S"), r.workdir)
    out.print(table)


@runs_app.command("show")
def show_run(run_id: str, as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """Show a run: state, progress, outputs, and why it failed."""
    run_store = store(settings())
    document = summary(run_store, _get(run_store, run_id))
    document["tasks"] = [
        {"jobid": t.jobid, "rule": t.rule, "wildcards": t.wildcards, "state": t.state, "logs": t.logs,
         "start_time": t.start_time, "end_time": t.end_time}
        for t in run_store.list_tasks(run_id, document["attempt"])
    ]
    if as_json:
        print_json(document)
        return
    _print_summary(document)
    for task in document["tasks"]:
        out.print(f"  job {task['jobid']:>4} {task['rule']:<24} {task['state']:<15} {json.dumps(task['wildcards'])}",
                  markup=False)


@runs_app.command("cancel")
def cancel(run_id: str) -> None:
    """Cancel a run; its supervisor stops its jobs within seconds."""
    run_store = store(settings())
    _get(run_store, run_id)
    out.print(f"run {run_id}: {cancel_run(run_store, run_id).state}")


@runs_app.command("resume")
def resume(run_id: str, as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """Run a failed or cancelled run again, reusing every output it completed."""
    current = settings()
    run_store = store(current)
    _get(run_store, run_id)
    try:
        resume_run(run_store, run_id)
    except IllegalTransition as error:
        fail(str(error))
    with ProgressBar(console, f"run {run_id}", enabled=not as_json) as bar:
        record = execute_run(run_store, run_id, current, on_progress=bar.update)
    document = summary(run_store, record)
    print_json(document) if as_json else _print_summary(document)
    if record.run_state != RunState.COMPLETE:
        raise typer.Exit(1)
