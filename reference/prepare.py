"""Turn a genome or protein FASTA into a prepared reference folder, and check one later.

A prepared folder holds:

| file | what |
|---|---|
| ``reference.fa.gz`` | the sequences, BGZF-compressed, lines of 60 bases (residues), case and headers kept |
| ``reference.fa.gz.fai``, ``reference.fa.gz.gzi`` | samtools faidx indexes (pysam) |
| ``reference.<preset>.mmi`` | genomes only: minimap2 indexes (mappy), ``sr`` always, others on request |
| ``reference.json`` | the kind; per-sequence name, length, MD5, refget digest; the collection digest; size and SHA-256 of every file above |

The kind is ``genome`` (IUPAC nucleotide codes) or ``protein`` (IUPAC amino-acid codes, a
protein database for peptide searches). A protein reference has no minimap2 index; its
digests are defined as a genome's (refget and seqcol digest any sequence). Manifests
written before kinds existed have no ``kind`` and are genomes.

The FASTA is checked while it is read (``reference.fasta_check``); everything is written
into a hidden temporary folder next to the destination, which is renamed into place only
when complete, so the destination either does not exist or is whole. Digests are defined
in ``reference.digests``.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import mappy
import pysam
import pysam.version

from reference.bgzf import BgzfWriter, default_threads
from reference.digests import SequenceDigester, collection_attribute_digests, collection_digest, file_sha256
from reference.errors import FastaFormatError, ReferenceDataError, ReferenceIntegrityError
from reference.fasta_check import GENOME, PROTEIN, SequenceSummary, check_kind, read_line_pieces, scan_fasta

FORMAT = "lsdih-reference/1"
MANIFEST_NAME = "reference.json"
FASTA_NAME = "reference.fa.gz"
LINE_WIDTH = 60
MINIMAP2_PRESETS = ("sr", "map-ont", "map-pb", "map-hifi")
DEFAULT_PRESETS = ("sr",)


@dataclass(frozen=True)
class PreparedReference:
    """A prepared reference folder as its ``reference.json`` describes it."""

    folder: Path
    manifest: dict

    @property
    def fasta(self) -> Path:
        """The BGZF FASTA (``pysam.FastaFile`` and ``samtools``/``bcftools -f`` take it as is)."""
        return self.folder / FASTA_NAME

    @property
    def collection_digest(self) -> str:
        return self.manifest["collection_digest"]

    @property
    def kind(self) -> str:
        """``genome`` or ``protein`` (a manifest without a kind predates protein references)."""
        return self.manifest.get("kind", GENOME)

    @property
    def sequences(self) -> list[dict]:
        """One ``{"name", "description", "length", "md5", "refget"}`` per sequence, in file order."""
        return self.manifest["sequences"]

    def minimap2_index(self, preset: str = "sr") -> Path:
        """The ``.mmi`` for a minimap2 preset; ``ReferenceDataError`` when it was not built."""
        file_name = self.manifest["minimap2_indexes"].get(preset)
        if file_name is None:
            if self.kind == PROTEIN:
                raise ReferenceDataError(f"{self.folder}: a protein database has no minimap2 index")
            built = ", ".join(sorted(self.manifest["minimap2_indexes"]))
            raise ReferenceDataError(f"{self.folder}: no minimap2 index for preset {preset!r} (built: {built})")
        return self.folder / file_name


def minimap2_index_name(preset: str) -> str:
    return f"reference.{preset}.mmi"


class _WrappedFastaWriter:
    """Writes checked sequences as FASTA with fixed-width lines, which faidx requires."""

    def __init__(self, handle: BgzfWriter) -> None:
        self._handle = handle
        self._column = 0

    def begin(self, name: str, description: str) -> None:
        header = f">{name} {description}" if description else f">{name}"
        self._handle.write(header.encode("utf-8") + b"\n")
        self._column = 0

    def bases(self, piece: bytes) -> None:
        view = memoryview(piece)
        while view:
            room = LINE_WIDTH - self._column
            chunk = view[:room]
            self._handle.write(chunk)
            self._column += len(chunk)
            view = view[room:]
            if self._column == LINE_WIDTH:
                self._handle.write(b"\n")
                self._column = 0

    def end(self) -> None:
        if self._column:
            self._handle.write(b"\n")
            self._column = 0


def _check_presets(presets: tuple[str, ...] | list[str], kind: str = GENOME) -> tuple[str, ...]:
    if kind == PROTEIN:
        asked = [preset for preset in presets if preset not in DEFAULT_PRESETS]
        if asked:
            raise ReferenceDataError(
                f"minimap2 preset(s) {', '.join(map(repr, asked))} given for a protein database; "
                "minimap2 indexes are built for genomes only")
        return ()
    chosen = tuple(dict.fromkeys(["sr", *presets]))
    unknown = [preset for preset in chosen if preset not in MINIMAP2_PRESETS]
    if unknown:
        raise ReferenceDataError(
            f"unknown minimap2 preset(s) {', '.join(map(repr, unknown))}; choose from {', '.join(MINIMAP2_PRESETS)}")
    return chosen


def _build(fasta: Path, staging: Path, presets: tuple[str, ...], source_name: str, threads: int, kind: str) -> dict:
    bgzf_path = staging / FASTA_NAME
    with BgzfWriter(bgzf_path, threads=threads) as handle:
        writer = _WrappedFastaWriter(handle)
        summaries: list[SequenceSummary] = scan_fasta(fasta, writer, label=source_name, kind=kind)
    try:
        pysam.faidx(str(bgzf_path))
    except pysam.SamtoolsError as error:
        raise ReferenceDataError(f"{source_name}: samtools faidx failed on the compressed copy: {error}") from None
    indexes = {}
    for preset in presets:
        index_path = staging / minimap2_index_name(preset)
        aligner = mappy.Aligner(fn_idx_in=str(bgzf_path), preset=preset, fn_idx_out=str(index_path), n_threads=threads)
        if not aligner or not index_path.is_file():
            raise ReferenceDataError(f"{source_name}: minimap2 could not build the {preset!r} index")
        indexes[preset] = index_path.name
    names = [summary.name for summary in summaries]
    lengths = [summary.length for summary in summaries]
    refgets = [summary.refget for summary in summaries]
    files = {}
    for path in sorted(staging.iterdir()):
        files[path.name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    return {
        "format": FORMAT,
        "kind": kind,
        "source": {"file_name": Path(source_name).name, "size": fasta.stat().st_size, "sha256": file_sha256(fasta)},
        "sequence_count": len(summaries),
        "total_length": sum(lengths),
        "collection_digest": collection_digest(names, lengths, refgets),
        "collection_attributes": collection_attribute_digests(names, lengths, refgets),
        "sequences": [summary.as_dict() for summary in summaries],
        "minimap2_indexes": indexes,
        "tools": {"pysam": pysam.__version__, "htslib": pysam.version.__htslib_version__,
                  **({"mappy": _mappy_version()} if kind == GENOME else {})},
        "files": files,
    }


def _mappy_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mappy")
    except PackageNotFoundError:
        return "unknown"


def staging_folder(destination: Path) -> Path:
    """A fresh hidden folder next to ``destination`` (same file system, so rename is atomic)."""
    return destination.parent / f".{destination.name}.tmp-{uuid.uuid4().hex}"


def prepare_reference(fasta: Path, output: Path, presets: tuple[str, ...] | list[str] = DEFAULT_PRESETS,
                      source_name: str | None = None, threads: int | None = None,
                      kind: str = GENOME) -> PreparedReference:
    """Check ``fasta`` (plain or gzip) and write a prepared reference folder at ``output``.

    ``kind`` is ``genome`` (nucleotides, minimap2 indexes) or ``protein`` (amino acids,
    no minimap2 index: ``presets`` may then hold only the default ``sr``, which is not
    built). ``presets`` names the minimap2 indexes to build besides ``sr`` (``map-ont``,
    ``map-pb``, ``map-hifi``). ``source_name`` names the FASTA in errors and in
    ``reference.json`` (default: its path; an uploaded file's own name is better than its
    storage path). ``threads`` bounds the threads compressing and indexing (default: up
    to 4, as the CPUs allow). ``output`` must not exist; its parent is created. Raises
    :class:`FastaFormatError` for a defective FASTA (nothing is left behind),
    :class:`FileExistsError` when ``output`` exists, :class:`ReferenceDataError` for an
    unknown preset, a preset for a protein database, or a tool failure, and
    :class:`InvalidReferenceRequest` for an unknown kind.
    """
    fasta = Path(fasta)
    output = Path(output)
    check_kind(kind)
    chosen = _check_presets(presets, kind)
    if not fasta.is_file():
        raise FastaFormatError(source_name or str(fasta), "no such file")
    if output.exists():
        raise FileExistsError(f"{output} already exists; a prepared reference is never overwritten")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_folder(output)
    staging.mkdir()
    try:
        manifest = _build(fasta, staging, chosen, source_name or str(fasta), threads or default_threads(), kind)
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        _rename_into_place(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PreparedReference(output, manifest)


def _rename_into_place(staging: Path, output: Path) -> None:
    # rename(2) replaces an empty directory silently; refuse that case too.
    if output.exists():
        raise FileExistsError(f"{output} already exists; a prepared reference is never overwritten")
    try:
        os.rename(staging, output)
    except OSError as error:
        if output.exists():
            raise FileExistsError(f"{output} already exists; a prepared reference is never overwritten") from error
        raise


def load_prepared(folder: Path) -> PreparedReference:
    """Read a prepared folder's ``reference.json`` (no checking; see :func:`verify`)."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReferenceIntegrityError(str(folder), [f"{MANIFEST_NAME} is missing"]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ReferenceIntegrityError(str(folder), [f"{MANIFEST_NAME} is not valid JSON ({error})"]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ReferenceIntegrityError(str(folder), [f"{MANIFEST_NAME} is not a {FORMAT} manifest"])
    return PreparedReference(folder, manifest)


def _size_problems(prepared: PreparedReference) -> list[str]:
    problems = []
    for file_name, recorded in prepared.manifest["files"].items():
        path = prepared.folder / file_name
        if not path.is_file():
            problems.append(f"{file_name} is missing")
        elif path.stat().st_size != recorded["size"]:
            problems.append(f"{file_name} has {path.stat().st_size} bytes, {recorded['size']} recorded")
    return problems


def quick_check(folder: Path) -> PreparedReference:
    """Cheap check: every recorded file exists with its recorded size."""
    prepared = load_prepared(folder)
    problems = _size_problems(prepared)
    if problems:
        raise ReferenceIntegrityError(str(folder), problems)
    return prepared


def _stored_sequence_digests(path: Path) -> list[tuple[str, int, str, str]]:
    """(name, length, md5, refget) of every sequence of the stored BGZF, read in pieces."""
    found: list[tuple[str, int, str, str]] = []
    name = None
    digester = SequenceDigester()
    with gzip.open(path, "rb") as handle:
        for _, piece, starts_line, _ in read_line_pieces(handle):
            if starts_line and piece.startswith(b">"):
                if name is not None:
                    found.append((name, digester.length, digester.md5(), digester.refget()))
                name = piece[1:].split(maxsplit=1)[0].decode("utf-8", "replace") if piece[1:].strip() else ""
                digester = SequenceDigester()
            else:
                digester.update(piece)
    if name is not None:
        found.append((name, digester.length, digester.md5(), digester.refget()))
    return found


def verify(folder: Path) -> PreparedReference:
    """Full check of a prepared folder; returns it, or raises :class:`ReferenceIntegrityError`.

    Recomputes every sequence's length, MD5 and refget digest and the collection digest
    from the stored BGZF FASTA (streaming, in bounded memory) and compares them with
    ``reference.json``; checks that the ``.fai`` lists the same names and lengths; and
    checks the size and SHA-256 of every file recorded in ``reference.json``. All
    problems found are reported together.
    """
    prepared = load_prepared(folder)
    manifest = prepared.manifest
    problems = _size_problems(prepared)
    for file_name, recorded in manifest["files"].items():
        path = prepared.folder / file_name
        if path.is_file() and (actual := file_sha256(path)) != recorded["sha256"]:
            problems.append(f"{file_name} has SHA-256 {actual}, {recorded['sha256']} recorded")
    try:
        stored = _stored_sequence_digests(prepared.fasta)
        fai_lines = (prepared.folder / (FASTA_NAME + ".fai")).read_text().splitlines()
    except (OSError, EOFError, zlib.error) as error:
        problems.append(f"cannot be read ({error})")
        raise ReferenceIntegrityError(str(folder), problems) from None
    expected = [(s["name"], s["length"], s["md5"], s["refget"]) for s in manifest["sequences"]]
    if [entry[0] for entry in stored] != [entry[0] for entry in expected]:
        problems.append(
            f"{FASTA_NAME} holds sequences {[entry[0] for entry in stored]}, {[entry[0] for entry in expected]} recorded")
    else:
        for (name, length, md5, refget), (_, want_length, want_md5, want_refget) in zip(stored, expected, strict=True):
            if length != want_length:
                problems.append(f"sequence {name!r} has {length} bases, {want_length} recorded")
            if md5 != want_md5:
                problems.append(f"sequence {name!r} has MD5 {md5}, {want_md5} recorded")
            if refget != want_refget:
                problems.append(f"sequence {name!r} has refget digest {refget}, {want_refget} recorded")
    digest = collection_digest([e[0] for e in stored], [e[1] for e in stored], [e[3] for e in stored])
    if digest != manifest["collection_digest"]:
        problems.append(f"collection digest is {digest}, {manifest['collection_digest']} recorded")
    fai_entries = []
    for number, line in enumerate(fai_lines, start=1):
        fields = line.split("\t")
        if len(fields) < 2 or not (fields[1].isascii() and fields[1].isdigit()):
            problems.append(f"{FASTA_NAME}.fai line {number} is not a faidx line")
            break
        fai_entries.append((fields[0], int(fields[1])))
    if fai_entries != [(e[0], e[1]) for e in expected]:
        problems.append(f"{FASTA_NAME}.fai does not list the recorded names and lengths")
    if problems:
        raise ReferenceIntegrityError(str(folder), problems)
    return prepared
