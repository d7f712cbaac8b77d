"""Fixtures of the executor tests: a shared Dask cluster and Snakemake runs on it."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.executor.support import (
    WORKFLOWS,
    plugin_environment,
    process_group_members,
    start_cluster,
    stop_cluster,
)


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """Two nanny-managed workers, one thread and cpus=1, mem_mb=2000 each, shared by
    the tests that do not damage them."""
    cluster = start_cluster(tmp_path_factory.mktemp("dask-cluster"))
    yield cluster
    stop_cluster(cluster)
    leftovers = [
        member for process in cluster.processes() for member in process_group_members(process.pid)
    ]
    assert not leftovers, f"processes of the test cluster survived: {leftovers}"


@pytest.fixture
def snakemake_command():
    """Build the argv of a Snakemake run of one of ``workflows/`` in a work directory."""

    def command(workflow: str, workdir: Path, *arguments: str) -> list[str]:
        return [
            sys.executable, "-m", "snakemake",
            "--snakefile", str(WORKFLOWS / workflow / "Snakefile"),
            "--directory", str(workdir),
            "--executor", "dask",
            *arguments,
        ]

    return command


@pytest.fixture
def run_snakemake(snakemake_command):
    """Run Snakemake to completion; return the CompletedProcess (output as text)."""

    def run(workflow: str, workdir: Path, *arguments: str, timeout: float = 90):
        return subprocess.run(
            snakemake_command(workflow, workdir, *arguments),
            env=plugin_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
