"""The workflow catalogue: the staff-authored workflows under ``workflows/<name>/``.

Each folder follows the layout of the Snakemake workflow template and carries a
``manifest.yaml`` (name, version, inputs, outputs, default resources) that points at the
parameter JSON Schema the workflow itself validates its config against.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator

from workflows import WORKFLOWS_DIR

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
FileFormat = Literal["fastq", "fasta", "mgf", "mzml", "bam", "vcf", "tsv", "csv", "json", "html", "txt"]


class ManifestError(ValueError):
    """A workflow folder whose manifest or schema is broken; the message names the file."""


class WorkflowNotFound(LookupError):
    def __init__(self, reference: str, known: list[str]):
        listing = ", ".join(known) or "none"
        super().__init__(f"no workflow {reference!r} in the catalogue (known: {listing})")
        self.reference = reference


class InputSpec(BaseModel):
    """One input of a workflow. ``format`` is one format (``format: fastq``) or the list of
    formats the input accepts (``format: [mgf, mzml]``); each file may be any of them."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    format: FileFormat | list[FileFormat]
    multiple: bool = False
    paired: bool = False
    optional: bool = False
    # A parameter naming a registered reference (format lsdih-reference) that may stand in
    # for this input: exactly one of the two must then be given.
    or_reference: str | None = None
    description: str

    @field_validator("format")
    @classmethod
    def _some_formats(cls, value: FileFormat | list[FileFormat]) -> FileFormat | list[FileFormat]:
        if isinstance(value, list):
            if not value:
                raise ValueError("an input needs at least one format")
            if len(set(value)) != len(value):
                raise ValueError("a format is listed twice")
        return value

    @computed_field
    @property
    def formats(self) -> list[str]:
        """The accepted formats, in the manifest's order (a list even for one)."""
        return list(self.format) if isinstance(self.format, list) else [self.format]

    @property
    def format_label(self) -> str:
        """The accepted formats for messages and listings: "fastq", "mgf or mzml"."""
        return " or ".join(self.formats)

    def accepts(self, file_format: str | None) -> bool:
        return file_format in self.formats


class OutputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    format: FileFormat
    description: str

    @field_validator("path")
    @classmethod
    def _relative(cls, path: str) -> str:
        if Path(path).is_absolute() or ".." in Path(path).parts:
            raise ValueError("an output path must stay inside the run directory")
        return path

    @property
    def is_pattern(self) -> bool:
        return "{" in self.path


class ResourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threads: int = Field(1, ge=1)
    mem_mb: int = Field(1000, ge=1)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str
    title: str
    description: str
    inputs: list[InputSpec]
    params_schema: str
    outputs: list[OutputSpec] = Field(min_length=1)
    resources: ResourceSpec = ResourceSpec()

    @field_validator("version")
    @classmethod
    def _semantic(cls, version: str) -> str:
        if not SEMVER.match(version):
            raise ValueError(f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH)")
        return version


class Workflow:
    """A catalogue entry: its manifest, folder and parameter schema."""

    def __init__(self, folder: Path, manifest: Manifest):
        self.folder = folder
        self.manifest = manifest

    name = property(lambda self: self.manifest.name)
    version = property(lambda self: self.manifest.version)

    @property
    def snakefile(self) -> Path:
        return self.folder / "workflow" / "Snakefile"

    @property
    def test_dir(self) -> Path:
        return self.folder / ".test"

    @cached_property
    def params_schema(self) -> dict[str, Any]:
        path = self.folder / self.manifest.params_schema
        try:
            schema = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as error:
            raise ManifestError(f"{path}: cannot read the parameter schema: {error}") from None
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise ManifestError(f"{path}: not a valid JSON Schema: {error.message}") from None
        return schema

    def input(self, name: str) -> InputSpec | None:
        return next((spec for spec in self.manifest.inputs if spec.name == name), None)

    def describe(self) -> dict[str, Any]:
        """Everything a user needs to call the workflow (``workflows show``, the API)."""
        return {
            **self.manifest.model_dump(exclude={"params_schema"}),
            "params_schema": self.params_schema,
            "folder": str(self.folder),
        }


def read_manifest(folder: Path) -> Manifest:
    path = folder / "manifest.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ManifestError(f"{path}: cannot read: {error}") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ManifestError(f"{path}: {problems}") from None
    if manifest.name != folder.name:
        raise ManifestError(f"{path}: name {manifest.name!r} differs from the folder name {folder.name!r}")
    return manifest


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a name that cannot leave the roots

# Parsed workflows by folder, kept while their manifest and schema files are unchanged:
# the gateway looks a workflow up on every request, and parsing YAML is slow.
_LOADED: dict[Path, tuple[tuple, Workflow]] = {}


def load_workflow(folder: Path) -> Workflow:
    manifest_path = folder / "manifest.yaml"
    cached = _LOADED.get(folder)
    if cached is not None:
        stamp, workflow = cached
        if stamp == (_stamp(manifest_path), _stamp(folder / workflow.manifest.params_schema)):
            return workflow
    workflow = Workflow(folder, read_manifest(folder))
    _LOADED[folder] = ((_stamp(manifest_path), _stamp(folder / workflow.manifest.params_schema)), workflow)
    return workflow


class Catalogue:
    """Workflows found in one or more folders (the shipped ``workflows/`` first)."""

    def __init__(self, extra_roots: list[Path] | None = None):
        self.roots = [WORKFLOWS_DIR, *(extra_roots or [])]

    def folders(self) -> list[Path]:
        found: dict[str, Path] = {}
        for root in self.roots:
            for folder in sorted(root.iterdir()) if root.is_dir() else []:
                if (folder / "manifest.yaml").is_file():
                    found.setdefault(folder.name, folder)  # the first root wins
        return [found[name] for name in sorted(found)]

    def workflows(self) -> list[Workflow]:
        return [load_workflow(folder) for folder in self.folders()]

    def get(self, reference: str) -> Workflow:
        """Find ``NAME`` or ``NAME@VERSION``: the first root with a folder of that name
        (looked up directly, as the gateway does for every new run; listed only to say
        what exists when nothing is found)."""
        name, _, version = reference.partition("@")
        folder = self._folder(name) if _FOLDER_NAME.fullmatch(name) else None
        if folder is None:
            raise WorkflowNotFound(reference, [known.name for known in self.folders()])
        workflow = load_workflow(folder)
        if version and workflow.version != version:
            raise WorkflowNotFound(reference, [f"{name}@{workflow.version}"])
        return workflow

    def _folder(self, name: str) -> Path | None:
        for root in self.roots:
            if (root / name / "manifest.yaml").is_file():
                return root / name
        return None
