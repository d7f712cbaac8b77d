"""Accepting a run from a tenant: the one function the gateway calls to start work.

``submit`` checks the workflow, parameters, input files and the tenant's quota, lays out
the run's folder under ``<home>/runs/<run id>`` with the inputs linked in under safe
names, records the run as QUEUED and hands it to the dispatcher. On any error nothing
is left behind.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from jobs.catalogue import Catalogue, Workflow, WorkflowNotFound
from jobs.dispatch import dispatch
from jobs.files import blob_path
from jobs.models import Run, StoredFile, looks_like_id, new_run_id, utcnow
from jobs.params import FieldError, InvalidInputs, InvalidParameters, InvalidRunRequest, validate_params
from jobs.references import resolve_run_references
from jobs.runner import record_new_run, resume_run
from jobs.settings import Settings
from jobs.states import IllegalTransition, RunState
from jobs.store import Store
from jobs.tenants import Principal
from jobs.workspace import resolve_inputs, runs_root

MAX_TAGS = 50
_SUFFIXES = {"fastq": ".fastq", "fasta": ".fasta", "mgf": ".mgf", "mzml": ".mzML"}
_KNOWN_SUFFIXES = {
    "fastq": (".fastq", ".fq"),
    "fasta": (".fasta", ".fa", ".fna", ".faa"),
    "mgf": (".mgf",),
    "mzml": (".mzml",),
}


class NotResumable(ValueError):
    """Only a failed or cancelled run can be queued again (callers answer 409)."""


class QuotaExceeded(RuntimeError):
    """The tenant may not start another run now (callers answer 429)."""


@dataclass
class RunRequest:
    workflow: str  # NAME or NAME@VERSION
    inputs: dict[str, list[str]]  # input name -> uploaded file ids
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    webhook_url: str | None = None
    version: str | None = None


# Statements on every create-run are built once: building one costs more than running it.
# Admission counts the tenant's runs queued or running only up to its limit: it only needs
# to know whether the limit is reached, and the count stays cheap however many wait.
_ACTIVE_RUNS = select(func.count()).select_from(
    select(Run.id)
    .where(Run.tenant_id == bindparam("tenant"), Run.state.in_([state.value for state in RunState if not state.is_terminal]))
    .limit(bindparam("limit"))
    .subquery()
)
_OWNED_FILES = select(StoredFile.__table__).where(StoredFile.id.in_(bindparam("ids", expanding=True)),
                                                  StoredFile.tenant_id == bindparam("tenant"))


def _workflow(catalogue: Catalogue, request: RunRequest) -> Workflow:
    reference = request.workflow
    if request.version and "@" not in reference:
        reference = f"{reference}@{request.version}"
    try:
        return catalogue.get(reference)
    except WorkflowNotFound as error:
        raise InvalidRunRequest([FieldError("workflow", "a workflow of the catalogue", reference, str(error))]) from None


def _check_tags(tags: dict[str, str]) -> list[FieldError]:
    errors = []
    if len(tags) > MAX_TAGS:
        errors.append(FieldError("tags", f"at most {MAX_TAGS} tags", len(tags), "too many tags"))
    for key, value in tags.items():
        if not 0 < len(key) <= 64 or not isinstance(value, str) or len(value) > 256:
            errors.append(
                FieldError(f"tags.{key[:64]}", "a key of 1-64 and a text value of at most 256 characters", value, "invalid tag")
            )
    return errors


def _check_webhook(url: str | None) -> list[FieldError]:
    if url is None:
        return []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        return [FieldError("webhook_url", "an http(s) URL", url, "invalid webhook URL")]
    return []


def _input_files(connection: Connection, tenant_id: str, workflow: Workflow, given: dict[str, list[str]]) -> dict[str, list[StoredFile]]:
    """The uploaded files each input names, checked against the manifest's formats (as
    rows with the columns of StoredFile)."""
    errors: list[FieldError] = []
    found: dict[str, list[StoredFile]] = {}
    wanted = {file_id for file_ids in given.values() for file_id in file_ids if looks_like_id(file_id)}
    owned = {stored.id: stored for stored in connection.execute(
        _OWNED_FILES, {"ids": list(wanted), "tenant": tenant_id})} if wanted else {}
    for name, file_ids in given.items():
        spec = workflow.input(name)
        if spec is None:
            known = ", ".join(item.name for item in workflow.manifest.inputs)
            errors.append(FieldError(f"inputs.{name}", f"one of: {known}", file_ids, "is not an input of this workflow"))
            continue
        found[name] = []
        for index, file_id in enumerate(file_ids):
            path = f"inputs.{name}[{index}]"
            stored = owned.get(file_id)
            if stored is None:
                errors.append(FieldError(path, "the id of an uploaded file", file_id, f"no file with id {file_id}"))
                continue
            if not spec.accepts(stored.format):
                errors.append(FieldError(path, f"a {spec.format_label} file", stored.format, f"file {file_id} is {stored.format}"))
                continue
            found[name].append(stored)
    if errors:
        raise InvalidInputs(errors)
    return found


def link_name(stored: StoredFile, taken: set[str]) -> str:
    """A file name for an input inside the run folder: derived from the uploaded name but
    restricted to safe characters, with the suffix its format needs. The name without that
    suffix is unique in the run too (``taken`` holds those stems, lower-cased), since
    workflows name samples after it and one input may mix formats (run1.mgf, run1.mzML)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stored.name).lstrip("._-") or "input"
    lowered = stem.lower()
    for suffix in sorted(_KNOWN_SUFFIXES.get(stored.format, ()), key=len, reverse=True):
        for ending in (suffix + ".gz", suffix):
            if lowered.endswith(ending):
                stem = stem[: -len(ending)]
                lowered = stem.lower()
    stem = stem.rstrip("._-")[:100] or "input"
    suffix = _SUFFIXES.get(stored.format, "") + (".gz" if stored.compressed else "")
    unique, number = stem, 1
    while unique.lower() in taken:
        number += 1
        unique = f"{stem}_{number}"
    taken.add(unique.lower())
    return unique + suffix


def _link_inputs(home: Path, workdir: Path, files: dict[str, list[StoredFile]]) -> dict[str, list[Path]]:
    folder = workdir / "inputs"
    folder.mkdir(parents=True)
    taken: set[str] = set()
    linked: dict[str, list[Path]] = {}
    for name, stored_files in files.items():
        linked[name] = []
        for stored in stored_files:
            target = folder / link_name(stored, taken)
            try:  # a hard link keeps the run's input even if the upload is deleted later
                os.link(blob_path(home, stored), target)
            except OSError:
                shutil.copyfile(blob_path(home, stored), target)
            linked[name].append(target)
    return linked


def submit(store: Store, settings: Settings, catalogue: Catalogue, principal: Principal, request: RunRequest) -> Run:
    """Validate a tenant's run request, record it as QUEUED and dispatch it."""
    workflow = _workflow(catalogue, request)
    errors = _check_tags(request.tags) + _check_webhook(request.webhook_url)
    if errors:
        raise InvalidRunRequest(errors)
    try:
        params = validate_params(workflow.params_schema, request.params)
        references = resolve_run_references(settings, workflow.params_schema, params)
    except InvalidParameters as error:  # name the field as the request body does
        raise InvalidParameters([replace(item, path=f"params.{item.path}") for item in error.errors]) from None
    # Through the queue, runs wait their turn (max_active_runs is enforced when a worker
    # claims one); a run dispatched as a process of its own starts at once.
    limit = principal.max_active_runs if settings.dispatcher == "process" else settings.max_queued_runs
    with store.reader() as connection:  # one short read (no ORM): the files and the tenant's runs
        files = _input_files(connection, principal.tenant_id, workflow, request.inputs)
        waiting = connection.execute(_ACTIVE_RUNS, {"tenant": principal.tenant_id, "limit": limit}).scalar_one()
    if waiting >= limit:
        raise QuotaExceeded(
            f"tenant {principal.tenant_name!r} has as many runs queued or running as it may (the limit is {limit}); "
            "wait for one to finish or cancel one"
        )
    run_id = new_run_id()
    workdir = runs_root(settings.home).resolve() / run_id
    queued = settings.dispatcher == "queue"
    try:
        resolved = resolve_inputs(workflow, _link_inputs(settings.home, workdir, files), params, checked=True)
        run = record_new_run(
            store, workflow, resolved, params, workdir, settings.executor, settings.cores, references,
            id=run_id, tags=request.tags, tenant_id=principal.tenant_id, webhook_url=request.webhook_url,
            input_files={name: [stored.id for stored in group] for name, group in files.items()},
            enqueued_at=utcnow() if queued else None,
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    dispatch(settings, run.id, enqueued_marked=queued)
    return run


def resubmit(store: Store, settings: Settings, run: Run) -> Run:
    """Queue a failed or cancelled run again and dispatch it; completed outputs are reused."""
    try:
        run = resume_run(store, run.id)
    except IllegalTransition:
        raise NotResumable(f"run {run.id} is {run.state}; only a failed or cancelled run can be resumed") from None
    dispatch(settings, run.id)
    return run
