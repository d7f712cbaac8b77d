"""Checks a workflow folder must pass before it is published in the catalogue."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from jobs.catalogue import ManifestError, Workflow, read_manifest
from jobs.params import InvalidRunRequest, validate_params
from jobs.references import REFERENCE_FORMAT

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
    for item in workflow.manifest.inputs:
        stand_in = schema.get("properties", {}).get(item.or_reference) if item.or_reference else None
        if item.or_reference and (stand_in or {}).get("format") != REFERENCE_FORMAT:
            problems.append(f"input {item.name!r}: or_reference {item.or_reference!r} is not a parameter "
                            f"with format {REFERENCE_FORMAT}")
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


# Every rule runs inside the lsdih installation itself (its kernels are this package), so
# the software a rule needs is pinned by the lsdih version, not by a conda env per rule.
NOT_APPLICABLE = {"Specify a conda environment or container for each rule."}
_LINT_SUBJECT = re.compile(r"^Lints for (.+?)(?: \(line \d+, .*\))?:$")
_LINT_TITLE = re.compile(r"^\s+\* (.+?):?$")


def parse_lint_text(text: str) -> list[str]:
    """Findings of Snakemake's text lint report as ``subject: title`` lines."""
    findings, subject = [], None
    for line in text.splitlines():
        if match := _LINT_SUBJECT.match(line):
            subject = match.group(1)
        elif subject and (match := _LINT_TITLE.match(line)) and match.group(1) not in NOT_APPLICABLE:
            findings.append(f"{subject}: {match.group(1)}")
    return findings


def snakemake_lints(workflow: Workflow) -> list[str]:
    """``snakemake --lint`` on the test case, one line per finding (a rule without log too)."""
    with tempfile.TemporaryDirectory(prefix="lsdih-lint-") as scratch:
        workdir = Path(scratch) / "work"
        shutil.copytree(workflow.test_dir, workdir)
        completed = subprocess.run(
            [sys.executable, "-m", "snakemake", "--snakefile", str(workflow.snakefile), "--directory", str(workdir),
             "--configfile", str(workdir / TEST_CONFIG), "--lint", "text"],
            capture_output=True, text=True, cwd=scratch,
        )
    output = completed.stdout + completed.stderr
    if completed.returncode not in (0, 1) or (completed.returncode == 1 and "Lints for" not in output):
        return [f"snakemake --lint could not run: {output.strip()[-2000:]}"]
    return parse_lint_text(output)


def lint_workflow(folder: Path) -> list[str]:
    """Every problem found in a workflow folder; an empty list means it may be published."""
    folder = folder.resolve()
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
