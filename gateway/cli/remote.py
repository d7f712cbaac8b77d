"""``lsdih submit / status / logs / cancel / download``: runs on a remote gateway.

Server and key come from ``--server``/``--key`` or ``LSDIH_SERVER``/``LSDIH_API_KEY``.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from gateway.cli.common import console, fail, out, print_json
from gateway.cli.runs import parse_inputs, read_params_file
from gateway.client import TERMINAL, GatewayClient, GatewayError
from jobs.params import InvalidRunRequest, parse_cli_params

SERVER = typer.Option("http://127.0.0.1:8000", "--server", envvar="LSDIH_SERVER", help="Gateway URL.")
KEY = typer.Option("", "--key", envvar="LSDIH_API_KEY", help="API key (better: LSDIH_API_KEY).", show_default=False)


@contextmanager
def _client(server: str, key: str) -> Iterator[GatewayClient]:
    try:
        with GatewayClient(server, key) as client:
            yield client
    except ValueError as error:
        fail(str(error), 2)
    except GatewayError as error:
        fail(str(error), 2 if 400 <= error.status < 500 else 1)
    except httpx.TransportError as error:
        fail(f"cannot reach {server}: {error}")


def submit(
    workflow: str = typer.Argument(..., help="Catalogue workflow, NAME or NAME@VERSION."),
    inputs: list[str] = typer.Option([], "--input", "-i", help="NAME=PATH; repeat for lists and pairs."),
    params: list[str] = typer.Option([], "--param", "-p", help="KEY=VALUE; typed by the parameter schema."),
    params_file: Optional[Path] = typer.Option(None, "--params-file", help="YAML or JSON mapping of parameters."),
    tags: list[str] = typer.Option([], "--tag", help="KEY=VALUE label to find the run by."),
    wait: bool = typer.Option(False, "--wait", help="Follow the run until it ends; exit 1 if it fails."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    server: str = SERVER,
    key: str = KEY,
) -> None:
    """Upload the inputs (with a progress bar), start the run on the gateway, optionally wait."""
    given = parse_inputs(inputs)
    labels = {}
    for item in tags:
        name, separator, value = item.partition("=")
        if not separator or not name:
            fail(f"--tag takes KEY=VALUE, got {item!r}", 2)
        labels[name] = value
    with _client(server, key) as client:
        schema = client.workflow(workflow)["params_schema"]
        chosen = {**read_params_file(params_file)} if params_file else {}
        try:
            chosen.update(parse_cli_params(schema, params))
        except InvalidRunRequest as error:
            fail(str(error), 2)
        file_ids = {name: [upload_with_progress(client, path, quiet=as_json)["id"] for path in paths] for name, paths in given.items()}
        run = client.create_run(workflow, file_ids, chosen, labels)
        if not as_json:
            out.print(f"run {run['id']} {run['state']}", markup=False)
        if wait:
            run = follow_run(client, run["id"], quiet=as_json)
    if as_json:
        print_json(run)
    if wait and run["state"] != "COMPLETE":
        raise typer.Exit(1)


def upload_with_progress(client: GatewayClient, path: Path, quiet: bool) -> dict:
    if not path.is_file():
        fail(f"no such file: {path}", 2)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=console, disable=quiet) as bar:
        task = bar.add_task(f"upload {path.name}", total=path.stat().st_size)
        return client.upload(path, progress=lambda sent: bar.advance(task, sent))


def follow_run(client: GatewayClient, run_id: str, quiet: bool) -> dict:
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"),
                  console=console, disable=quiet) as bar:
        task = bar.add_task(f"run {run_id[:8]}", total=None, state="")

        def update(run: dict) -> None:
            progress = run["progress"]
            bar.update(task, total=progress["jobs_total"] or None, completed=progress["jobs_done"], state=run["state"])

        run = client.wait(run_id, on_update=update)
    if not quiet:
        out.print(f"run {run_id} {run['state']}" + (f": {run['error']}" if run.get("error") else ""), markup=False)
    return run


def status(run_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json"),
           server: str = SERVER, key: str = KEY) -> None:
    """Show a remote run: state, progress, times."""
    with _client(server, key) as client:
        run = client.run(run_id)
    if as_json:
        print_json(run)
        return
    progress = run["progress"]
    out.print(f"{run['id']}  {run['workflow']}@{run['workflow_version']}  {run['state']}  "
              f"{progress['jobs_done']}/{progress['jobs_total']} jobs", markup=False)
    if run.get("error"):
        out.print(f"error: {run['error']}", markup=False)


def logs(
    run_id: str = typer.Argument(...),
    task: Optional[int] = typer.Option(None, "--task", help="A task id (see status --json / the tasks API)."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines until the run ends."),
    server: str = SERVER,
    key: str = KEY,
) -> None:
    """Print the run's log (or one task's); --follow tails it."""
    with _client(server, key) as client:
        offset = 0
        while True:
            data, size = client.log(run_id, task, offset)
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            offset += len(data)
            if not follow or (client.run(run_id)["state"] in TERMINAL and offset >= size):
                break
            time.sleep(1)


def cancel(run_id: str = typer.Argument(...), server: str = SERVER, key: str = KEY) -> None:
    """Cancel a remote run."""
    with _client(server, key) as client:
        run = client.post(f"/v1/runs/{run_id}/cancel")
    out.print(f"run {run['id']} {run['state']}", markup=False)


def download(
    run_id: str = typer.Argument(...),
    outdir: Path = typer.Option(..., "--outdir", "-o", help="Folder to write the outputs into."),
    server: str = SERVER,
    key: str = KEY,
) -> None:
    """Download every output of a run, checking each file's SHA-256."""
    with _client(server, key) as client:
        written = client.download_outputs(run_id, outdir)
    for path in written:
        out.print(str(path), markup=False)
