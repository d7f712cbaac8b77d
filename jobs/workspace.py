"""Layout of a run directory and the config file the runner hands to Snakemake.

A run directory is Snakemake's working directory::

    <workdir>/
        lsdih/config.yaml     inputs (absolute paths) and validated parameters
        lsdih/driver.log      what the run's driver process printed (Snakemake's log)
        results/ logs/        written by the workflow's rules
        .snakemake/           Snakemake's metadata (what makes a rerun resume)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence


from jobs.catalogue import InputSpec, Workflow
from jobs.params import FieldError, InvalidInputs
from workflows.common.sequence_files import FORMATS, detect_format, read_head

CONTROL_DIR = "lsdih"


def runs_root(home: Path) -> Path:
    """Where runs submitted through the gateway get their folders, one per run id."""
    return home / "runs"


def config_path(workdir: Path) -> Path:
    return workdir / CONTROL_DIR / "config.yaml"


def driver_log_path(workdir: Path) -> Path:
    return workdir / CONTROL_DIR / "driver.log"


def _check_file(field: str, path: Path, spec: InputSpec) -> FieldError | None:
    label = spec.format_label
    if not path.is_file():
        return FieldError(field, f"an existing {label} file", str(path), "file not found")
    if not os.access(path, os.R_OK):
        return FieldError(field, f"a readable {label} file", str(path), "file is not readable")
    if not any(name in FORMATS for name in spec.formats):
        return None
    # A cheap guard that catches a swapped argument long before a rule fails on it.
    try:
        head = read_head(path)
    except (OSError, EOFError) as error:
        return FieldError(field, f"a {label} file", str(path), f"cannot be read: {error}")
    detected = detect_format(head)
    # A format told apart by its content must be one accepted; other content is refused
    # only when every accepted format is one that content detection knows.
    if detected is not None and spec.accepts(detected):
        return None
    if head.strip() and all(name in FORMATS for name in spec.formats):
        start = head.lstrip()[:20]
        return FieldError(field, f"a {label} file", str(path), f"does not look like {label}: starts with {start!r}")
    return None


def resolve_inputs(workflow: Workflow, given: Mapping[str, Sequence[Path]],
                   params: Mapping[str, Any] | None = None, checked: bool = False) -> dict[str, Any]:
    """Check the given files against the manifest; return the config's ``inputs`` mapping.

    Values are absolute paths: a list for ``multiple`` inputs, a single path otherwise.
    ``params`` (validated) tell whether a registered reference stands in for an input.
    ``checked``: the paths are absolute and their contents were checked already (uploads,
    whose format was detected as they arrived): only the manifest's rules are checked.
    """
    errors: list[FieldError] = []
    resolved: dict[str, Any] = {}
    for name in sorted(set(given) - {spec.name for spec in workflow.manifest.inputs}):
        known = ", ".join(spec.name for spec in workflow.manifest.inputs)
        errors.append(FieldError(f"inputs.{name}", f"one of: {known}", [str(p) for p in given[name]], "is not an input of this workflow"))
    for spec in workflow.manifest.inputs:
        paths = [Path(path) if checked else Path(path).expanduser().resolve() for path in given.get(spec.name, [])]
        field = f"inputs.{spec.name}"
        named = spec.or_reference and (params or {}).get(spec.or_reference)
        if paths and named:
            errors.append(FieldError(field, f"this input or params.{spec.or_reference}, not both",
                                     [str(p) for p in paths], f"params.{spec.or_reference} names {named!r} already"))
            continue
        if not paths:
            if not spec.optional and not named:
                expected = f"{'one or more' if spec.multiple else 'one'} {spec.format_label} file(s)"
                if spec.or_reference:
                    expected += f", or a registered reference named by params.{spec.or_reference}"
                errors.append(FieldError(field, expected, None, "is required"))
            continue
        if not spec.multiple and len(paths) > (2 if spec.paired else 1):
            errors.append(FieldError(field, f"one {spec.format_label} file", [str(p) for p in paths], "takes a single file"))
            continue
        if spec.paired and len(paths) % 2:
            errors.append(FieldError(field, "pairs of files (R1 R2 ...)", [str(p) for p in paths], "needs an even number of files"))
            continue
        if not checked:
            errors.extend(filter(None, (_check_file(field, path, spec) for path in paths)))
        resolved[spec.name] = [str(p) for p in paths] if spec.multiple or spec.paired else str(paths[0])
    if errors:
        raise InvalidInputs(errors)
    return resolved


def write_config(workdir: Path, inputs: dict[str, Any], params: dict[str, Any],
                 references: dict[str, str] | None = None) -> Path:
    """The run's Snakemake config: ``inputs``, ``params`` and, for parameters that name a
    registered reference, ``references``: parameter -> the prepared reference folder."""
    path = config_path(workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    config = {"inputs": inputs, "params": params, **({"references": references} if references else {})}
    # JSON is YAML too, and writing it is far quicker than a YAML dump (gateway hot path).
    temporary.write_text(json.dumps(config, sort_keys=True, indent=2) + "\n")
    temporary.replace(path)
    return path


def _as_glob(pattern: str) -> str:
    return re.sub(r"\{[^}]+\}", "*", pattern)


def collect_outputs(workflow: Workflow, workdir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Files present for each declared output (patterns expanded), and the declared outputs
    with no non-empty file at all."""
    found: list[dict[str, Any]] = []
    missing: list[str] = []
    for output in workflow.manifest.outputs:
        paths = sorted(workdir.glob(_as_glob(output.path))) if output.is_pattern else [workdir / output.path]
        present = [path for path in paths if path.is_file() and path.stat().st_size > 0]
        if not present:
            missing.append(output.path)
        found.extend(
            {"path": str(path.relative_to(workdir)), "size": path.stat().st_size, "format": output.format}
            for path in present
        )
    return found, missing
