"""The reference registry: named, versioned, immutable prepared references in a folder.

A reference is a genome (the default) or a protein database (``kind="protein"``, see
``reference.prepare``); :meth:`ReferenceRegistry.resolve` can demand a kind, as a
workflow parameter does (``jobs.references``).

Layout under the registry root (the data directory in lsdih)::

    references/<name>/<version>/    a prepared folder (``reference.prepare``) plus entry.json
    references/.staging/            references being prepared (removed when done or failed;
                                    what a killed process left is swept after a day)
    references/.locks/<name>.lock   serialises choosing a version, committing and removing

Names match ``[A-Za-z0-9][A-Za-z0-9._-]{0,63}``. Versions are positive integers: adding
without a version takes one more than the highest so far (1 for a new name); resolving
``NAME`` without ``@VERSION`` takes the highest. A version is immutable: adding it again
is refused with :class:`ReferenceExists`, whatever the content.

Concurrency: the slow part (checking and indexing the FASTA) runs in a private staging
folder without a lock; committing takes the name's lock, picks the version, and renames
the staging folder into place (atomic on one file system). Two adds of the same name and
version never mix their files: one wins, the other gets :class:`ReferenceExists`.
Removing renames the version out of the tree under the lock before deleting it, so a
reader sees the whole version or none. Removal does not check whether runs used the
version; it is simply gone.

Checking before use (:meth:`ReferenceRegistry.resolve`): ``entry.json`` records the size
and modification time of every file. The quick check (the default) compares them; a
different size is an error, a different modification time (the files were touched or
copied) escalates to the full check. The full check (``full_check=True``, or
``lsdih reference show --verify``) recomputes every sequence digest from the stored BGZF
and the SHA-256 of every file (``reference.prepare.verify``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reference.errors import (
    InvalidReferenceRequest,
    ReferenceExists,
    ReferenceIntegrityError,
    ReferenceKindMismatch,
    ReferenceNotFound,
)
from reference.fasta_check import GENOME, PROTEIN, check_kind
from reference.prepare import DEFAULT_PRESETS, PreparedReference, load_prepared, prepare_reference, verify

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
VERSION_PATTERN = re.compile(r"[0-9]{1,9}")
ENTRY_NAME = "entry.json"
MAX_DESCRIPTION = 1000
REFERENCES_FOLDER = "references"
STALE_STAGING_SECONDS = 24 * 3600
# How messages name a reference of each kind.
KIND_PHRASES = {GENOME: "a genome", PROTEIN: "a protein database"}


@dataclass(frozen=True)
class RegisteredReference:
    """One version of a registered reference."""

    name: str
    version: int
    description: str
    added_at: str
    added_by: str
    folder: Path
    prepared: PreparedReference
    recorded_files: dict[str, dict[str, int]]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def kind(self) -> str:
        """``genome`` or ``protein``."""
        return self.prepared.kind

    def as_dict(self) -> dict:
        """Everything a listing shows: metadata, digests, sequences, indexes (no paths)."""
        manifest = self.prepared.manifest
        return {
            "name": self.name, "version": self.version, "kind": self.kind, "description": self.description,
            "added_at": self.added_at, "added_by": self.added_by,
            "collection_digest": manifest["collection_digest"],
            "sequence_count": manifest["sequence_count"], "total_length": manifest["total_length"],
            "sequences": manifest["sequences"], "minimap2_presets": sorted(manifest["minimap2_indexes"]),
            "source_file_name": manifest["source"]["file_name"],
        }


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidReferenceRequest(
            f"invalid reference name {name!r}: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def check_version(version: int | str) -> int:
    text = str(version)
    if not VERSION_PATTERN.fullmatch(text) or int(text) < 1:
        raise InvalidReferenceRequest(f"invalid reference version {text!r}: versions are whole numbers from 1")
    return int(text)


def parse_spec(spec: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@VERSION`` -> (name, version or None)."""
    name, separator, version = spec.partition("@")
    if separator and not version:
        raise InvalidReferenceRequest(f"invalid reference {spec!r}: nothing after '@' (NAME or NAME@VERSION)")
    return check_name(name), check_version(version) if separator else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sweep(staging_root: Path) -> None:
    """Delete what killed processes left in the staging folder (nothing is staged for a day)."""
    cutoff = time.time() - STALE_STAGING_SECONDS
    for leftover in staging_root.iterdir():
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)


def _file_stats(folder: Path) -> dict[str, dict[str, int]]:
    return {
        path.name: {"size": path.stat().st_size, "mtime_ns": path.stat().st_mtime_ns}
        for path in sorted(folder.iterdir()) if path.name != ENTRY_NAME
    }


class ReferenceRegistry:
    """The registry under ``root`` (``<root>/references``)."""

    def __init__(self, root: Path) -> None:
        self.base = Path(root) / REFERENCES_FOLDER

    # -- paths and locks ------------------------------------------------------------

    def _name_folder(self, name: str) -> Path:
        return self.base / check_name(name)

    def _version_folder(self, name: str, version: int) -> Path:
        return self._name_folder(name) / str(version)

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        locks = self.base / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{name}.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _versions(self, name: str) -> list[int]:
        folder = self._name_folder(name)
        if not folder.is_dir():
            return []
        return sorted(int(child.name) for child in folder.iterdir()
                      if VERSION_PATTERN.fullmatch(child.name) and (child / ENTRY_NAME).is_file())

    # -- reading --------------------------------------------------------------------

    def _load(self, name: str, version: int) -> RegisteredReference:
        folder = self._version_folder(name, version)
        try:
            entry = json.loads((folder / ENTRY_NAME).read_text())
        except FileNotFoundError:
            raise ReferenceNotFound(f"no reference {name}@{version}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ReferenceIntegrityError(str(folder), [f"{ENTRY_NAME} is not valid JSON ({error})"]) from None
        return RegisteredReference(
            name=name, version=version, description=entry["description"], added_at=entry["added_at"],
            added_by=entry["added_by"], folder=folder, prepared=load_prepared(folder), recorded_files=entry["files"])

    def names(self) -> list[str]:
        if not self.base.is_dir():
            return []
        return sorted(child.name for child in self.base.iterdir()
                      if NAME_PATTERN.fullmatch(child.name) and self._versions(child.name))

    def list_all(self) -> list[RegisteredReference]:
        """Every version of every reference, by name then version."""
        return [self._load(name, version) for name in self.names() for version in self._versions(name)]

    def versions(self, name: str) -> list[RegisteredReference]:
        """Every version of ``name``, oldest first; :class:`ReferenceNotFound` if none."""
        versions = self._versions(check_name(name))
        if not versions:
            raise ReferenceNotFound(f"no reference named {name!r}")
        return [self._load(name, version) for version in versions]

    def get(self, name: str, version: int | str) -> RegisteredReference:
        """One version, without checking its files."""
        return self._load(check_name(name), check_version(version))

    def resolve(self, spec: str, full_check: bool = False, kind: str | None = None) -> RegisteredReference:
        """``NAME[@VERSION]`` (latest when omitted), checked before use (see the module docstring).

        With ``kind`` (``genome`` or ``protein``), a reference of the other kind raises
        :class:`ReferenceKindMismatch` before its files are checked.
        """
        name, version = parse_spec(spec)
        if kind is not None:
            check_kind(kind)
        if version is None:
            versions = self._versions(name)
            if not versions:
                raise ReferenceNotFound(f"no reference named {name!r}")
            version = versions[-1]
        registered = self._load(name, version)
        if kind is not None and registered.kind != kind:
            raise ReferenceKindMismatch(
                f"{registered.spec} is {KIND_PHRASES.get(registered.kind, registered.kind)}, "
                f"this parameter needs {KIND_PHRASES[kind]}")
        if full_check:
            verify(registered.folder)
        else:
            self._quick_check(registered)
        return registered

    def _quick_check(self, registered: RegisteredReference) -> None:
        if not (registered.folder / ENTRY_NAME).is_file():
            raise ReferenceNotFound(f"no reference {registered.spec} (it was just removed)")
        problems, touched = [], False
        for file_name, stats in registered.recorded_files.items():
            path = registered.folder / file_name
            if not path.is_file():
                problems.append(f"{file_name} is missing")
                continue
            actual = path.stat()
            if actual.st_size != stats["size"]:
                problems.append(f"{file_name} has {actual.st_size} bytes, {stats['size']} recorded")
            elif actual.st_mtime_ns != stats["mtime_ns"]:
                touched = True
        if problems:
            raise ReferenceIntegrityError(str(registered.folder), problems)
        if touched:
            verify(registered.folder)

    # -- changing -------------------------------------------------------------------

    def add(self, name: str, fasta: Path, version: int | str | None = None, description: str = "",
            added_by: str = "", presets: tuple[str, ...] | list[str] = DEFAULT_PRESETS,
            source_name: str | None = None, kind: str = GENOME) -> RegisteredReference:
        """Check, prepare and register ``fasta`` as ``name`` (next version unless given).

        ``source_name`` is the FASTA's name to record (default: the file's own name).
        ``kind``: ``genome`` or ``protein`` (a protein database; no minimap2 presets).
        Versions of one name may differ in kind; a run's parameter checks the one it gets.
        """
        check_name(name)
        check_kind(kind)
        wanted = check_version(version) if version is not None else None
        if len(description) > MAX_DESCRIPTION:
            raise InvalidReferenceRequest(f"description longer than {MAX_DESCRIPTION} characters")
        if wanted is not None and wanted in self._versions(name):
            raise self._exists(name, wanted)
        staging_root = self.base / ".staging"
        staging_root.mkdir(parents=True, exist_ok=True)
        _sweep(staging_root)
        staging = staging_root / uuid.uuid4().hex
        try:
            prepared = prepare_reference(fasta, staging, presets, source_name, kind=kind)
            with self._locked(name):
                chosen = wanted if wanted is not None else max(self._versions(name), default=0) + 1
                destination = self._version_folder(name, chosen)
                if destination.exists():
                    raise self._exists(name, chosen)
                entry = {"name": name, "version": chosen, "kind": kind, "description": description, "added_at": _now(),
                         "added_by": added_by, "collection_digest": prepared.collection_digest,
                         "files": _file_stats(staging)}
                (staging / ENTRY_NAME).write_text(json.dumps(entry, indent=2) + "\n")
                destination.parent.mkdir(parents=True, exist_ok=True)
                staging.rename(destination)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self._load(name, chosen)

    @staticmethod
    def _exists(name: str, version: int) -> ReferenceExists:
        return ReferenceExists(f"reference {name}@{version} already exists; versions are immutable, add a new version")

    def remove(self, name: str, version: int | str) -> None:
        """Delete one version (whether or not runs used it); :class:`ReferenceNotFound` if absent."""
        check_name(name)
        number = check_version(version)
        with self._locked(name):
            folder = self._version_folder(name, number)
            if not (folder / ENTRY_NAME).is_file():
                raise ReferenceNotFound(f"no reference {name}@{number}")
            doomed = self.base / ".staging" / f"removed-{uuid.uuid4().hex}"
            doomed.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(doomed)
            with contextlib.suppress(OSError):
                folder.parent.rmdir()
        shutil.rmtree(doomed, ignore_errors=True)
