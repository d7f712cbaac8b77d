"""Read a genome or protein FASTA (plain or gzip) once, checking it and digesting every sequence.

A reference FASTA here is: headers ``>NAME[ DESCRIPTION]`` where NAME is a legal SAM
reference name (the SAM specification's ``[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*``,
so it can appear in BAM and VCF headers, and UniProt's ``sp|P69905|HBA_HUMAN`` passes),
unique in the file; each followed by at least one residue; sequence lines hold, for a
genome, IUPAC nucleotide codes only (``ACGTUMRWSYKVHDBN``), for a protein database
IUPAC amino-acid codes only (the 20 standard residues ``ACDEFGHIKLMNPQRSTVWY`` and
``BZJUOX``), either case; no gaps, spaces or ``*``. A translated stop ``*`` is refused
even at the end of a protein: the stored sequence, its digests and any search then see
residues only (strip it, e.g. ``sed '/^>/!s/\\*$//'``). Blank lines and Windows line ends
are accepted. The file is read in pieces of at most 1 MiB, so a genome written on one
line per chromosome needs no more memory than a wrapped one.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from reference.digests import SequenceDigester
from reference.errors import FastaFormatError, InvalidReferenceRequest

IUPAC_NUCLEOTIDES = b"ACGTUMRWSYKVHDBNacgtumrwsykvhdbn"
IUPAC_AMINO_ACIDS = b"ACDEFGHIKLMNPQRSTVWYBZJUOXacdefghiklmnpqrstvwybzjuox"
GENOME = "genome"
PROTEIN = "protein"
KINDS = (GENOME, PROTEIN)
# Per kind: the legal sequence bytes and what an illegal one's error says is allowed.
ALPHABETS = {
    GENOME: (IUPAC_NUCLEOTIDES, "only IUPAC nucleotide codes (ACGTUMRWSYKVHDBN, either case) are allowed in a genome"),
    PROTEIN: (IUPAC_AMINO_ACIDS, "only IUPAC amino-acid codes (ACDEFGHIKLMNPQRSTVWY and BZJUOX, either case; "
              "no '*', '-' or spaces) are allowed in a protein database"),
}
SAM_REFERENCE_NAME = re.compile(r"[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*\Z")
READ_PIECE_BYTES = 1 << 20
MAX_HEADER_BYTES = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class SequenceSummary:
    """One sequence of a FASTA file: its name, header description, length and digests."""

    name: str
    description: str
    length: int
    md5: str
    refget: str

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "length": self.length, "md5": self.md5, "refget": self.refget}


class SequenceSink(Protocol):
    """Receives a checked FASTA as it is read (``prepare`` writes it out this way)."""

    def begin(self, name: str, description: str) -> None: ...

    def bases(self, piece: bytes) -> None: ...

    def end(self) -> None: ...


def open_fasta(path: Path) -> BinaryIO:
    """Open a FASTA for binary reading, decompressing gzip (and BGZF) by its magic bytes."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_line_pieces(handle: BinaryIO) -> Iterator[tuple[int, bytes, bool, bool]]:
    """Yield ``(line number, piece, starts a line, ends a line)`` with line ends removed."""
    line_number = 0
    at_line_start = True
    while True:
        piece = handle.readline(READ_PIECE_BYTES)
        if not piece:
            return
        if at_line_start:
            line_number += 1
        ends_line = piece.endswith(b"\n")
        if ends_line:
            piece = piece[:-1]
        elif piece.endswith(b"\r"):
            # A CR cut off from its LF by the piece limit: look at the next byte.
            following = handle.read(1)
            if following == b"\n":
                ends_line = True
            else:
                piece += following
        if ends_line and piece.endswith(b"\r"):
            piece = piece[:-1]
        yield line_number, piece, at_line_start, ends_line
        at_line_start = ends_line


def check_kind(kind: str) -> str:
    """``kind`` itself when it is a reference kind (genome, protein), else :class:`InvalidReferenceRequest`."""
    if kind not in KINDS:
        raise InvalidReferenceRequest(f"invalid reference kind {kind!r}: choose from {', '.join(KINDS)}")
    return kind


def _first_illegal(piece: bytes, alphabet: bytes) -> int:
    for index, code in enumerate(piece):
        if code not in alphabet:
            return index
    raise AssertionError("called on a piece without illegal characters")


def _parse_header(path: str, header: bytes, line: int) -> tuple[str, str]:
    try:
        text = header[1:].decode("utf-8")
    except UnicodeDecodeError as error:
        raise FastaFormatError(path, f"header is not UTF-8 text (byte {error.start + 2})", line=line) from None
    if not text.strip():
        raise FastaFormatError(path, "header has no sequence name after '>'", line=line)
    if text[0].isspace():
        raise FastaFormatError(path, "the sequence name must follow '>' directly, without spaces", line=line)
    parts = text.split(maxsplit=1)
    name = parts[0]
    if not SAM_REFERENCE_NAME.match(name):
        raise FastaFormatError(
            path, "sequence name is not a legal SAM reference name (letters, digits and !#$%&+./:;?@^_|~-, "
            "no '*' or '=' first)", line=line, sequence=name)
    return name, parts[1] if len(parts) > 1 else ""


def scan_fasta(path: Path, sink: SequenceSink | None = None, label: str | None = None,
               kind: str = GENOME) -> list[SequenceSummary]:
    """Check a genome (or, with ``kind="protein"``, a protein) FASTA and return one
    summary per sequence, in file order.

    Raises :class:`FastaFormatError` at the first defect, naming the file, the line and
    the sequence. When ``sink`` is given it receives every sequence as it is read; the
    caller must discard what it received if an error is raised. ``label`` names the file
    in errors (default: its path).
    """
    label = label or str(path)
    alphabet, allowed = ALPHABETS[check_kind(kind)]
    summaries: list[SequenceSummary] = []
    first_line: dict[str, int] = {}
    name: str | None = None
    description = ""
    header_line = 0
    digester = SequenceDigester()
    saw_bytes = False
    column_offset = 0

    def finish() -> None:
        if name is None:
            return
        if digester.length == 0:
            raise FastaFormatError(label, "sequence has no bases" if kind == GENOME else "sequence has no residues",
                                   line=header_line, sequence=name)
        if sink is not None:
            sink.end()
        summaries.append(SequenceSummary(name, description, digester.length, digester.md5(), digester.refget()))

    try:
        opened = open_fasta(path)
    except OSError as error:
        raise FastaFormatError(label, f"cannot be read ({error.strerror or error})") from None
    try:
        with opened as handle:
            pieces = read_line_pieces(handle)
            for line, piece, starts_line, ends_line in pieces:
                saw_bytes = True
                if starts_line and piece.startswith(b">"):
                    header = piece
                    while not ends_line:
                        try:
                            _, more, _, ends_line = next(pieces)
                        except StopIteration:
                            break
                        header += more
                        if len(header) > MAX_HEADER_BYTES:
                            break
                    if len(header) > MAX_HEADER_BYTES:
                        raise FastaFormatError(label, f"header longer than {MAX_HEADER_BYTES} bytes", line=line)
                    finish()
                    name, description = _parse_header(label, header, line)
                    if name in first_line:
                        raise FastaFormatError(
                            label, f"duplicate sequence name (first used on line {first_line[name]})",
                            line=line, sequence=name)
                    first_line[name] = line
                    header_line = line
                    digester = SequenceDigester()
                    if sink is not None:
                        sink.begin(name, description)
                    continue
                if starts_line:
                    column_offset = 0
                if not piece:
                    continue
                if name is None:
                    raise FastaFormatError(label, "sequence data before the first '>' header", line=line)
                if piece.translate(None, alphabet):
                    index = _first_illegal(piece, alphabet)
                    raise FastaFormatError(
                        label, f"illegal character {chr(piece[index])!r} at column {column_offset + index + 1}: "
                        + allowed, line=line, sequence=name)
                column_offset += len(piece)
                digester.update(piece)
                if sink is not None:
                    sink.bases(piece)
            finish()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise FastaFormatError(label, f"not a readable gzip file ({error})") from None
    if not saw_bytes:
        raise FastaFormatError(label, "the file is empty")
    if not summaries:
        raise FastaFormatError(label, "no sequences: no line starts with '>'")
    return summaries
