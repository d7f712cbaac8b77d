"""``lsdih workflows test``: run a workflow's own ``.test/`` case and check its outputs."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from jobs.catalogue import Workflow
from jobs.runner import Progress, execute_run, failure_of, prepare_run
from jobs.settings import Settings
from jobs.states import RunState
from jobs.store import Store
from jobs.workspace import collect_outputs


@dataclass
class SelfTestResult:
    workflow: str
    version: str
    state: RunState
    outputs: list[dict[str, Any]]
    missing: list[str]
    failure: dict[str, Any] | None

    @property
    def passed(self) -> bool:
        return self.state == RunState.COMPLETE and not self.missing


def _inputs_of(config: dict[str, Any], workdir: Path) -> dict[str, list[Path]]:
    inputs = {}
    for name, value in (config.get("inputs") or {}).items():
        values = value if isinstance(value, list) else [value]
        inputs[name] = [workdir / item for item in values]
    return inputs


def run_selftest(
    workflow: Workflow,
    settings: Settings,
    executor: str = "dask",
    keep: Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> SelfTestResult:
    """Copy ``.test/`` to a scratch folder (or ``keep``) and run it with a throw-away store."""
    scratch = Path(tempfile.mkdtemp(prefix=f"lsdih-test-{workflow.name}-"))
    try:
        workdir = keep or scratch / "run"
        shutil.copytree(workflow.test_dir, workdir, dirs_exist_ok=True)
        config = yaml.safe_load((workdir / "config.yaml").read_text()) or {}
        # A throw-away store, and the workflow's own folder in the catalogue the driver reads.
        roots = os.pathsep.join(filter(None, [settings.workflows_path, str(workflow.folder.parent)]))
        test_settings = settings.model_copy(
            update={"database_url": f"sqlite:///{scratch / 'store.db'}", "workflows_path": roots}
        )
        store = Store(test_settings.store_url)
        run = prepare_run(
            store, workflow, _inputs_of(config, workdir), config.get("params") or {}, workdir, executor, settings.cores
        )
        run = execute_run(store, run.id, test_settings, on_progress=on_progress)
        outputs, missing = collect_outputs(workflow, workdir)
        failure = failure_of(store, run)
        return SelfTestResult(
            workflow.name, workflow.version, run.run_state, outputs, missing, failure.as_dict() if failure else None
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
