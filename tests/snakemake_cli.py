"""Running a workflow's Snakefile with plain Snakemake, as a workflow author would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPOSITORY = Path(__file__).resolve().parents[1]


def run_snakefile(snakefile: Path, workdir: Path, config: dict | Path, *options: str) -> subprocess.CompletedProcess:
    """Run ``snakefile`` in ``workdir`` (2 cores) with a config file, or a dict written to one."""
    if isinstance(config, dict):
        config_path = workdir / "config.yaml"
        config_path.write_text(yaml.safe_dump(config))
    else:
        config_path = config
    # The rule scripts import kernels/ and workflows/common from this working tree.
    python_path = [str(REPOSITORY), os.environ.get("PYTHONPATH", "")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, python_path))}
    command = [
        sys.executable, "-m", "snakemake", "-s", str(snakefile), "--configfile", str(config_path),
        "-d", str(workdir), "--cores", "2", *options,
    ]  # fmt: skip
    return subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=600)
