"""Tenants' uploaded files: streamed to disk, content-addressed, de-duplicated, within quota.

Layout under the data directory::

    files/.incoming/<random>            an upload in progress (removed if it fails)
    files/<tenant id>/<sha256[:2]>/<sha256>   the content, once complete

An upload is only registered after its last byte, checksum and format were accepted, so
a failed or interrupted upload leaves no record; ``sweep_incoming`` removes what a killed
process left. The name a client gave is kept as metadata only and never used as a path.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jobs.models import StoredFile, Tenant, looks_like_id
from jobs.store import Store
from workflows.common.sequence_files import FORMATS, GZIP_MAGIC, SNIFF_BYTES, detect_format

_CHECKSUM_LENGTH = 64


class UploadRejected(ValueError):
    """An upload that cannot be kept. ``reason`` is one of: too_large, quota, unsupported,
    checksum, empty, bad_request (callers map them to 413, 507, 415, 422, 422, 400)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class FileNotFound(LookupError):
    pass


def files_root(home: Path) -> Path:
    return home / "files"


def blob_path(home: Path, stored: StoredFile) -> Path:
    return files_root(home) / stored.tenant_id / stored.sha256[:2] / stored.sha256


def storage_used(store: Store, tenant_id: str) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.coalesce(func.sum(StoredFile.size), 0)).where(StoredFile.tenant_id == tenant_id)))


def clean_file_name(name: str | None) -> str:
    """A displayable name: the last path component, control characters removed, bounded."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(character for character in base if character.isprintable()).strip()
    return base[:255] or "upload"


@dataclass
class _Head:
    """Collects the first bytes (decompressed if gzip) to tell the format."""

    raw: bytes = b""
    decided: bool = False
    compressed: bool = False
    format: str | None = None

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self.decided:
            return
        self.raw += chunk
        if len(self.raw) < SNIFF_BYTES and not final:
            return
        self.compressed = self.raw.startswith(GZIP_MAGIC)
        text = self.raw
        if self.compressed:
            try:
                text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(self.raw, SNIFF_BYTES)
            except zlib.error:
                text = b""
        self.format = detect_format(text[:SNIFF_BYTES])
        self.decided = True
        self.raw = b""


class Upload:
    """One file being received. Call ``write`` per chunk, then ``finish`` (or ``abort``).

    Size, quota and format are enforced while the bytes arrive, so a rejected upload
    stops early and its partial data is deleted at once.
    """

    def __init__(
        self,
        store: Store,
        home: Path,
        tenant: Tenant,
        name: str | None,
        max_bytes: int,
        expected_sha256: str | None = None,
        declared_size: int | None = None,
    ):
        self.store, self.home, self.tenant = store, home, tenant
        self.name = clean_file_name(name)
        self.expected_sha256 = normalised_checksum(expected_sha256)
        self.max_bytes = max_bytes
        self.allowance = tenant.storage_quota_bytes - storage_used(store, tenant.id)
        self.size = 0
        self.digest = hashlib.sha256()
        self.head = _Head()
        if declared_size is not None:
            self._check_size(declared_size)
        incoming = files_root(home) / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        self.partial = incoming / secrets.token_hex(16)
        self.handle = open(self.partial, "xb")

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise UploadRejected("too_large", f"file too large: the limit is {self.max_bytes} bytes per file")
        if size > self.allowance:
            raise UploadRejected(
                "quota",
                f"storage quota exceeded: tenant {self.tenant.name!r} has "
                f"{max(self.allowance, 0)} of {self.tenant.storage_quota_bytes} bytes left",
            )

    def expect(self, sha256: str) -> None:
        """Verify the content against ``sha256`` (a checksum that arrives after the data)."""
        self.expected_sha256 = normalised_checksum(sha256)

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        try:
            self._check_size(self.size)
            self.head.feed(chunk)
            if self.head.decided and self.head.format is None:
                raise _unsupported()
        except UploadRejected:
            self.abort()
            raise
        self.digest.update(chunk)
        self.handle.write(chunk)

    def finish(self) -> tuple[StoredFile, bool]:
        """Register the file; return it and whether it is new (False: same content known)."""
        try:
            if self.size == 0:
                raise UploadRejected("empty", "the file is empty")
            self.head.feed(b"", final=True)
            if self.head.format is None:
                raise _unsupported()
            sha256 = self.digest.hexdigest()
            if self.expected_sha256 is not None and sha256 != self.expected_sha256:
                raise UploadRejected(
                    "checksum", f"checksum mismatch: the client sent sha256 {self.expected_sha256}, received {sha256}"
                )
        except UploadRejected:
            self.abort()
            raise
        existing = find_by_checksum(self.store, self.tenant.id, sha256)
        if existing is not None:
            self.abort()
            return existing, False
        try:  # answered 201, the file must survive a crash: its bytes, then its name, on disk
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
        except OSError:
            self.abort()
            raise
        stored = StoredFile(
            tenant_id=self.tenant.id, sha256=sha256, size=self.size, name=self.name,
            format=self.head.format, compressed=self.head.compressed,
        )
        target = blob_path(self.home, stored)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.partial, target)
        _sync_folder(target.parent)
        try:
            with self.store.session() as session:
                session.add(stored)
        except IntegrityError:  # the same content finished a moment earlier
            return find_by_checksum(self.store, self.tenant.id, sha256), False
        return stored, True

    def abort(self) -> None:
        self.handle.close()
        self.partial.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _unsupported() -> UploadRejected:
    return UploadRejected(
        "unsupported",
        f"unsupported content: accepted are {', '.join(f.upper() for f in FORMATS)} files, plain or gzip-compressed",
    )


def normalised_checksum(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().lower().removeprefix("sha256:")
    if len(value) != _CHECKSUM_LENGTH or any(character not in "0123456789abcdef" for character in value):
        raise UploadRejected("bad_request", "sha256 must be 64 hexadecimal digits")
    return value


def find_by_checksum(store: Store, tenant_id: str, sha256: str) -> StoredFile | None:
    with store.session() as session:
        return session.scalars(
            select(StoredFile).where(StoredFile.tenant_id == tenant_id, StoredFile.sha256 == sha256)
        ).first()


def get_file(store: Store, tenant_id: str | None, file_id: str) -> StoredFile:
    """The file ``file_id`` of tenant ``tenant_id`` (any tenant's when None)."""
    stored = None
    if looks_like_id(file_id):
        with store.session() as session:
            stored = session.get(StoredFile, file_id)
    if stored is None or (tenant_id is not None and stored.tenant_id != tenant_id):
        raise FileNotFound(f"no file with id {file_id}")
    return stored


def list_files(store: Store, tenant_id: str, limit: int = 100, after: str | None = None) -> list[StoredFile]:
    """A tenant's files, newest first, ``limit`` at a time after the file id ``after``."""
    query = select(StoredFile).where(StoredFile.tenant_id == tenant_id)
    with store.session() as session:
        if after is not None:
            anchor = session.get(StoredFile, after) if looks_like_id(after) else None
            if anchor is None or anchor.tenant_id != tenant_id:
                raise FileNotFound(f"no file with id {after}")
            query = query.where(
                (StoredFile.created_at < anchor.created_at)
                | ((StoredFile.created_at == anchor.created_at) & (StoredFile.id < anchor.id))
            )
        query = query.order_by(StoredFile.created_at.desc(), StoredFile.id.desc()).limit(limit)
        return list(session.scalars(query))


def delete_file(store: Store, home: Path, tenant_id: str, file_id: str) -> None:
    """Forget a file and free its space; runs that used it keep their own links to it."""
    stored = get_file(store, tenant_id, file_id)
    with store.session() as session:
        session.delete(session.get(StoredFile, stored.id))
    blob_path(home, stored).unlink(missing_ok=True)


def sweep_incoming(home: Path, older_than_seconds: float = 3600) -> int:
    """Delete partial uploads left by a killed process; return how many."""
    incoming = files_root(home) / ".incoming"
    cutoff = time.time() - older_than_seconds
    removed = 0
    for partial in incoming.glob("*") if incoming.is_dir() else []:
        try:
            if partial.stat().st_mtime < cutoff:
                partial.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed
