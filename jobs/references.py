"""Registered references (genomes and protein databases), as the gateway and the command line reach them.

References are shared data: every tenant may list and use them; who may add or remove
them is decided by the front doors (staff add, admins remove over HTTP). The registry
itself lives in ``reference.registry``; this module only places it in the data directory
and turns an uploaded file into a FASTA path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobs.files import FileNotFound, blob_path, get_file
from jobs.params import FieldError, InvalidParameters
from jobs.settings import Settings
from jobs.store import Store
from reference.errors import (
    InvalidReferenceRequest,
    ReferenceDataError,
    ReferenceIntegrityError,
    ReferenceKindMismatch,
    ReferenceNotFound,
)
from reference.fasta_check import GENOME
from reference.prepare import DEFAULT_PRESETS
from reference.registry import ReferenceRegistry, RegisteredReference


def registry(settings: Settings) -> ReferenceRegistry:
    """The registry under the data directory (``<home>/references``)."""
    return ReferenceRegistry(settings.home)


def add_reference(settings: Settings, name: str, fasta: Path, version: int | str | None = None, description: str = "",
                  added_by: str = "", presets: tuple[str, ...] | list[str] = DEFAULT_PRESETS,
                  source_name: str | None = None, kind: str = GENOME) -> RegisteredReference:
    return registry(settings).add(name, fasta, version, description, added_by, presets, source_name, kind)


def add_reference_from_upload(store: Store, settings: Settings, tenant_id: str, file_id: str, name: str,
                              version: int | str | None = None, description: str = "", added_by: str = "",
                              presets: tuple[str, ...] | list[str] = DEFAULT_PRESETS,
                              kind: str = GENOME) -> RegisteredReference:
    """Register a FASTA the caller's tenant uploaded (``/v1/files``) as a reference.

    Raises ``FileNotFound`` when the file is not the tenant's and
    ``InvalidReferenceRequest`` when it is not a FASTA file.
    """
    stored = get_file(store, tenant_id, file_id)
    if stored.format != "fasta":
        raise InvalidReferenceRequest(f"file {file_id} ({stored.name}) is {stored.format.upper()}, not FASTA")
    path = blob_path(settings.home, stored)
    if not path.is_file():
        raise FileNotFound(f"no file with id {file_id}")
    return add_reference(settings, name, path, version, description, added_by, presets, source_name=stored.name,
                         kind=kind)


def list_references(settings: Settings) -> list[RegisteredReference]:
    return registry(settings).list_all()


def reference_versions(settings: Settings, name: str) -> list[RegisteredReference]:
    return registry(settings).versions(name)


def get_reference(settings: Settings, name: str, version: int | str) -> RegisteredReference:
    return registry(settings).get(name, version)


def resolve_reference(settings: Settings, spec: str, full_check: bool = False,
                      kind: str | None = None) -> RegisteredReference:
    """``NAME[@VERSION]`` -> the checked reference a run should use; ``kind`` (genome,
    protein) refuses the other kind with ``ReferenceKindMismatch``."""
    return registry(settings).resolve(spec, full_check, kind)


def remove_reference(settings: Settings, name: str, version: int | str) -> None:
    registry(settings).remove(name, version)


# A workflow parameter that names a registered reference carries this JSON Schema format,
# and may demand a kind (genome, protein) with the keyword next to it, e.g.
#   database: {type: string, format: lsdih-reference, x-lsdih-reference-kind: protein}
# JSON Schema validators ignore both; resolve_run_references applies them.
REFERENCE_FORMAT = "lsdih-reference"
REFERENCE_KIND_KEYWORD = "x-lsdih-reference-kind"


def reference_params(schema: dict[str, Any]) -> list[str]:
    """The parameters of a workflow's schema that name registered references."""
    return [name for name, spec in schema.get("properties", {}).items()
            if isinstance(spec, dict) and spec.get("format") == REFERENCE_FORMAT]


def reference_kind(schema: dict[str, Any], name: str) -> str | None:
    """The kind a reference parameter demands (its ``x-lsdih-reference-kind``), or None for any."""
    return schema.get("properties", {}).get(name, {}).get(REFERENCE_KIND_KEYWORD)


def resolve_run_references(settings: Settings, schema: dict[str, Any], params: dict[str, Any]) -> dict[str, RegisteredReference]:
    """Parameter name -> the checked reference each reference parameter names; raises
    InvalidParameters naming the parameter when one is unknown, damaged or of the wrong
    kind (a genome where the parameter demands a protein database, or the reverse)."""
    found: dict[str, RegisteredReference] = {}
    errors: list[FieldError] = []
    for name in reference_params(schema):
        spec = params.get(name)
        if not spec:
            continue
        kind = reference_kind(schema, name)
        what = {"genome": "reference genome", "protein": "protein database"}.get(kind, "reference")
        expected = f"a registered {what} NAME[@VERSION] (lsdih reference list)"
        try:
            found[name] = resolve_reference(settings, spec, kind=kind)
        except (ReferenceNotFound, InvalidReferenceRequest, ReferenceKindMismatch) as error:
            errors.append(FieldError(name, expected, spec, str(error)))
        except ReferenceDataError:
            errors.append(FieldError(name, expected, spec, f"reference {spec} failed its integrity check; "
                                     "the centre's staff must register it again"))
    if errors:
        raise InvalidParameters(errors)
    return found


def run_provenance(references: dict[str, RegisteredReference]) -> dict[str, Any]:
    """What a run records about the references it used (``Run.provenance``)."""
    return {"references": {name: {
        "reference": registered.spec,
        "collection_digest": registered.prepared.collection_digest,
        "sequences": [{key: sequence[key] for key in ("name", "length", "md5", "refget")}
                      for sequence in registered.prepared.sequences],
    } for name, registered in references.items()}} if references else {}


def check_run_references(settings: Settings, provenance: dict[str, Any] | None) -> None:
    """Before a run executes: its references are still there and unchanged (cheap check;
    a touched file means a full one). Raises ReferenceDataError naming the reference."""
    for used in ((provenance or {}).get("references") or {}).values():
        registered = resolve_reference(settings, used["reference"])
        if registered.prepared.collection_digest != used["collection_digest"]:
            raise ReferenceIntegrityError(used["reference"], ["its collection digest changed since the run was accepted"])
