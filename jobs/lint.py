"""Checks a workflow folder must pass before it is published in the catalogue."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from jobs.catalogue import ManifestError, Workflow, read_manifest
from jobs.params import InvalidRunRequest, validate_params

TEST_CONFIG = "config.yaml"


def _schema_problems(workflow: Workflow) -> list[str]:
    schema = workflow.params_schema
    problems = []
    if schema.get("type") != "object":
        problems.append("the parameter schema must describe an object (type: object)")
    if schema.get("additionalProperties") is not False:
        problems.append("the parameter schema must forbid unknown parameters (additionalProperties: false)")
    for name, spec in schema.get("properties", {}).items():
        for key in ("type", "description", "default"):
            if key not in spec:
                problems.append(f"parameter {name!r} has no {key}")
    return problems


def _test_config_problems(workflow: Workflow) -> list[str]:
    path = workflow.test_dir / TEST_CONFIG
    if not path.is_file():
        return [f"{path} is missing: every workflow carries a small test case"]
    config = yaml.safe_load(path.read_text()) or {}
    try:
        validate_params(workflow.params_schema, config.get("params", {}))
    except InvalidRunRequest as error:
        return [f"{path}: {error}"]
    return []


def snakemake_lints(workflow: Workflow) -> list[str]:
    """``snakemake --lint`` on the test case, one line per finding (a rule without log too)."""
    with tempfile.TemporaryDirectory(prefix="lsdih-lint-") as scratch:
        workdir = Path(scratch) / "work"
        shutil.copytree(workflow.test_dir, workdir)
        completed = subprocess.run(
            [sys.executable, "-m", "snakemake", "--snakefile", str(workflow.snakefile), "--directory", str(workdir),
             "--configfile", str(workdir / TEST_CONFIG), "--lint", "json", "--quiet", "all"],
            capture_output=True, text=True, cwd=scratch,
        )
    try:
        report = json.loads(completed.stdout[completed.stdout.index("{"):])
    except ValueError:
        return [f"snakemake --lint could not run: {(completed.stderr or completed.stdout).strip()[-2000:]}"]
    findings = []
    for section in ("snakefiles", "rules"):
        for item in report.get(section, []):
            for lint in item.get("lints", []):
                findings.append(f"{item.get('for', {}).get('rule') or item.get('for')}: {lint['title']}")
    return findings


def lint_workflow(folder: Path) -> list[str]:
    """Every problem found in a workflow folder; an empty list means it may be published."""
    try:
        workflow = Workflow(folder, read_manifest(folder))
        problems = _schema_problems(workflow)
    except ManifestError as error:
        return [str(error)]
    if not workflow.snakefile.is_file():
        return problems + [f"{workflow.snakefile} is missing"]
    problems += _test_config_problems(workflow)
    if workflow.test_dir.is_dir():
        problems += snakemake_lints(workflow)
    return problems
