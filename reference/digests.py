"""Sequence and collection digests as GA4GH refget and SAM define them.

- MD5 of the upper-cased sequence: SAM's ``@SQ M5`` tag and refget v1's identifier.
- ``SQ.`` + sha512t24u of the upper-cased sequence: the GA4GH refget v2 identifier
  (sha512t24u is the base64url text, without padding, of the first 24 bytes of SHA-512).
- The collection digest of a whole FASTA is the GA4GH sequence collections (seqcol 1.0)
  level-0 digest: each attribute array (``names``; ``sequences``, the ``SQ.`` digests;
  ``lengths``) in file order is written as canonical JSON (RFC 8785) and digested with
  sha512t24u (the level-1 object); the digests of the inherent attributes, ``names`` and
  ``sequences``, form an object that is again written as canonical JSON and digested.
  (Lengths follow from the sequences, so seqcol leaves them out of level 0.) Two FASTA
  files get the same collection digest exactly when they hold the same names and
  sequences in the same order (case and line wrapping do not count), and the value can be
  compared with any seqcol server: seqcol's own example collection (chrX TTGGGGAA, chr1
  GGAA, chr2 GCGC) gives ``XZlrcEGi6mlopZ2uD8ObHkQB1d0oDwKk``.
- `file_sha256`: the hex SHA-256 of a file's bytes, read in blocks (the checksum of stored
  files, results and uploads).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

FILE_BLOCK_BYTES = 1 << 20


def file_sha256(path: Path | str) -> str:
    """Hex SHA-256 of the file's bytes, read in blocks of `FILE_BLOCK_BYTES`."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(FILE_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def sha512t24u(data: bytes) -> str:
    """Base64url (no padding) of the first 24 bytes of SHA-512 of ``data``."""
    return base64.urlsafe_b64encode(hashlib.sha512(data).digest()[:24]).decode("ascii")


def canonical_json(value: object) -> bytes:
    """RFC 8785 canonical JSON for the values used here (strings, integers, lists, objects)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class SequenceDigester:
    """MD5 and refget digests of a sequence fed in pieces (bounded memory)."""

    def __init__(self) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha512 = hashlib.sha512()
        self.length = 0

    def update(self, piece: bytes) -> None:
        upper = piece.upper()
        self._md5.update(upper)
        self._sha512.update(upper)
        self.length += len(piece)

    def md5(self) -> str:
        return self._md5.hexdigest()

    def refget(self) -> str:
        return "SQ." + base64.urlsafe_b64encode(self._sha512.digest()[:24]).decode("ascii")


def collection_attribute_digests(
    names: Sequence[str], lengths: Sequence[int], refget_digests: Sequence[str]
) -> dict[str, str]:
    """The seqcol level-1 object: one sha512t24u per inherent attribute array."""
    return {
        "lengths": sha512t24u(canonical_json(list(lengths))),
        "names": sha512t24u(canonical_json(list(names))),
        "sequences": sha512t24u(canonical_json(list(refget_digests))),
    }


INHERENT_ATTRIBUTES = ("names", "sequences")


def collection_digest(names: Sequence[str], lengths: Sequence[int], refget_digests: Sequence[str]) -> str:
    """The seqcol level-0 digest of a collection (see the module docstring)."""
    level1 = collection_attribute_digests(names, lengths, refget_digests)
    return sha512t24u(canonical_json({key: level1[key] for key in INHERENT_ATTRIBUTES}))
