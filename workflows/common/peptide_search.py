"""A peptide search from files to a PSM table: read the FASTA and the MGF/mzML spectra
(pyteomics), digest, add reversed (or shuffled) decoys, index, search each spectrum, and
put q-values on the result; then, over the PSM tables of many files read back, q-values
again, and the peptides at an FDR threshold (their protein groups: `protein_groups`). The computing
happens in `kernels/`; this module reads, wires and writes.

Malformed input raises `SequenceFileError` naming the file and the record (1-based).
"""

from __future__ import annotations

import csv
import gzip
import importlib.resources
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from lxml import etree
from pyteomics import fasta, mgf, mzml
from pyteomics.auxiliary import PyteomicsError

from kernels.batch_search import PackedPeptides, pack_peptides, search_spectra, spectrum_batch
from kernels.decoys import tag_decoy_accession, target_decoy_peptides
from kernels.digestion import digest_positions, starts_protein
from kernels.fdr import competition_q_values
from kernels.peptide_index import PeptideMassIndex, build_mass_index
from kernels.peptide_mass import CARBAMIDOMETHYL, OXIDATION, Modification
from kernels.psm_scoring import SearchSettings
from kernels.spectrum_preprocessing import preprocess_spectrum
from workflows.common.sequence_files import SequenceFileError, detect_format, read_head

# What pyteomics and lxml raise on a malformed record.
PARSE_ERRORS = (ValueError, KeyError, TypeError, IndexError, PyteomicsError, etree.Error, OSError, EOFError)
# Spectra read, preprocessed and searched at a time: large enough to keep every thread
# busy, small enough that a file of any size fits in memory.
BATCH_SPECTRA = 2048
PSM_COLUMNS = (
    "file", "spectrum", "peptide", "modifications", "charge", "precursor_mz", "calculated_mass",
    "ppm_error", "isotope_error", "matched_peaks", "score", "decoy", "proteins", "q_value", "peptide_q_value",
)  # fmt: skip


@dataclass(frozen=True)
class Spectrum:
    """One MS/MS spectrum: `charges` is the known precursor charge, or empty."""

    identifier: str
    precursor_mz: float
    charges: tuple[int, ...]
    mz: np.ndarray
    intensity: np.ndarray


@dataclass(frozen=True)
class SearchParameters:
    """Digestion, preprocessing and search settings for `search_files`."""

    enzyme: str = "trypsin"
    missed_cleavages: int = 1
    min_length: int = 7
    max_length: int = 50
    fixed_modifications: tuple[Modification, ...] = (CARBAMIDOMETHYL,)
    variable_modifications: tuple[Modification, ...] = (OXIDATION,)
    max_variable_mods: int = 2
    deisotope: bool = True
    top_n: int = 150
    unknown_charges: tuple[int, ...] = (2, 3, 4)
    semi_specific: bool = False
    decoy_method: str = "reverse"
    search: SearchSettings = field(default_factory=SearchSettings)


@dataclass(frozen=True)
class ProteinDatabase:
    """Targets then decoys with their proteins, and their mass index."""

    peptides: list[str]
    is_decoy: np.ndarray
    proteins: list[tuple[str, ...]]
    index: PeptideMassIndex
    packed: PackedPeptides


def read_proteins(path: Path | str) -> list[tuple[str, str]]:
    """(accession, upper-case sequence) of each FASTA record; the accession is the first
    word of the header. The file may be gzip (uploads may be; a registered protein
    database's reference.fa.gz is BGZF, which gzip reads)."""
    _check_fasta_layout(path)
    records = []
    try:
        with _opened(path, "rt", encoding="ascii") as source, fasta.read(source, use_index=False) as reader:
            for number, (description, sequence) in enumerate(reader, start=1):
                accession = description.split(maxsplit=1)[0] if description.strip() else ""
                if not accession:
                    raise SequenceFileError(path, f"record {number}: header without an accession", record=number)
                records.append((accession, "".join(sequence.split()).upper()))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise SequenceFileError(path, f"cannot be read: {error}") from None
    if not records:
        raise SequenceFileError(path, "no FASTA records")
    return records


def _check_fasta_layout(path):
    """pyteomics joins a header without sequence to the next header and takes lines before
    the first header into it; refuse both, naming the record and line."""
    try:
        with _opened(path, "rt", encoding="ascii") as handle:
            number, header, residues = 0, None, 0
            for line_number, line in enumerate(handle, start=1):
                line = line.strip()
                if line.startswith(">"):
                    if header is not None and residues == 0:
                        accession = header.split(maxsplit=1)[0] if header else "no accession"
                        message = f"record {number} ({accession}): empty sequence"
                        raise SequenceFileError(path, message, record=number, line=line_number - 1)
                    number, header, residues = number + 1, line[1:].strip(), 0
                elif line and header is None and not line.startswith(";"):
                    message = f"line {line_number}: sequence before the first '>' header"
                    raise SequenceFileError(path, message, line=line_number)
                else:
                    residues += len(line)
            if header is not None and residues == 0:
                accession = header.split(maxsplit=1)[0] if header else "no accession"
                raise SequenceFileError(path, f"record {number} ({accession}): empty sequence", record=number)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:  # EOFError, zlib.error: damaged gzip
        raise SequenceFileError(path, f"cannot be read: {error}") from None


def read_spectra(path: Path | str) -> Iterator[Spectrum]:
    """The MS/MS spectra of an MGF or mzML file (mzML: MS level 2 only)."""
    try:
        kind = detect_format(read_head(path))
    except (OSError, EOFError) as error:  # unreadable, or a damaged gzip stream
        raise SequenceFileError(path, f"cannot be read: {error}") from None
    if kind == "mgf":
        yield from _read_mgf(path)
    elif kind == "mzml":
        yield from _read_mzml(path)
    else:
        raise SequenceFileError(path, "neither MGF nor mzML")


def build_database(proteins: Sequence[tuple[str, str]], parameters: SearchParameters) -> ProteinDatabase:
    """Digest, add reversed decoys (tagged proteins) and index."""
    owners: dict[str, list[str]] = {}
    at_protein_start: set[str] = set()
    for accession, sequence in proteins:
        positions = digest_positions(
            sequence, parameters.enzyme, missed_cleavages=parameters.missed_cleavages,
            min_length=parameters.min_length, max_length=parameters.max_length,
            semi_specific=parameters.semi_specific,
        )  # fmt: skip
        peptides = [sequence[start:end] for start, end in positions.tolist()]
        # dict.fromkeys: a peptide found twice in one protein names it once.
        for peptide in dict.fromkeys(peptides):
            members = owners.get(peptide)
            if members is None:
                owners[peptide] = [accession]
            elif members[-1] != accession:
                members.append(accession)
        at_protein_start.update(peptides[i] for i in np.flatnonzero(starts_protein(positions, sequence)).tolist())
    if len({accession for accession, _ in proteins}) < len(proteins):
        # Records sharing an accession (not adjacent) may have named it twice.
        owners = {peptide: list(dict.fromkeys(members)) for peptide, members in owners.items()}
    together = target_decoy_peptides(list(owners), parameters.decoy_method)
    target_count = int(np.count_nonzero(~together.is_decoy))
    protein_lists = [tuple(owners[peptide]) for peptide in together.sequences[:target_count]]
    protein_lists += [
        tuple(tag_decoy_accession(a) for a in protein_lists[source])
        for source in together.source[target_count:].tolist()
    ]
    index = build_mass_index(
        together.sequences,
        starts_protein=[peptide in at_protein_start for peptide in together.sequences[:target_count]]
        + [False] * (len(together.sequences) - target_count),
        fixed_modifications=parameters.fixed_modifications,
        variable_modifications=parameters.variable_modifications,
        max_variable_mods=parameters.max_variable_mods,
    )
    return ProteinDatabase(together.sequences, together.is_decoy, protein_lists, index, pack_peptides(together.sequences))


def search_files(
    fasta_path: Path | str,
    spectrum_paths: Sequence[Path | str],
    parameters: SearchParameters = SearchParameters(),
    threads: int = 1,
) -> list[dict]:
    """One row (PSM_COLUMNS) per spectrum with a PSM: its best PSM, with PSM-level and
    peptide-level q-values by target-decoy competition, best score first. `threads`
    search each batch of spectra in that many threads."""
    database = build_database(read_proteins(fasta_path), parameters)
    rows = [row for path in spectrum_paths for row in search_file(database, path, parameters, threads)]
    return assign_q_values(rows)


def search_file(
    database: ProteinDatabase, path: Path | str, parameters: SearchParameters = SearchParameters(), threads: int = 1
) -> list[dict]:
    """The best PSM (PSM_COLUMNS but the q-values) of each spectrum of one MGF or mzML
    file that has one, in file order; `threads` search batches of spectra at once."""
    rows: list[dict] = []
    batch: list[Spectrum] = []
    for spectrum in read_spectra(path):
        batch.append(spectrum)
        if len(batch) == BATCH_SPECTRA:
            rows.extend(_search_batch(Path(path).name, batch, database, parameters, threads))
            batch = []
    rows.extend(_search_batch(Path(path).name, batch, database, parameters, threads))
    return rows


def assign_q_values(rows: Sequence[dict]) -> list[dict]:
    """The rows (one best PSM per spectrum, from one file or many) with "q_value" and
    "peptide_q_value" set by target-decoy competition over all of them, best score first.
    A spectrum is keyed by (file, spectrum), a peptide by (peptide, modifications, decoy)."""
    rows = [dict(row) for row in rows]
    if not rows:
        return rows
    scores = np.array([row["score"] for row in rows], dtype=np.float64)
    decoys = np.array([row["decoy"] for row in rows], dtype=bool)
    kept, q = competition_q_values([(row["file"], row["spectrum"]) for row in rows], scores, decoys)
    rows = [rows[i] for i in kept.tolist()]
    for row, value in zip(rows, q.tolist()):
        row["q_value"] = value
    keys = [(row["peptide"], row["modifications"], row["decoy"]) for row in rows]
    best, peptide_q = competition_q_values(keys, scores[kept], decoys[kept])
    by_key = {keys[i]: value for i, value in zip(best.tolist(), peptide_q.tolist())}
    for row, key in zip(rows, keys):
        row["peptide_q_value"] = by_key[key]
    rows.sort(key=lambda row: -row["score"])
    return rows


def write_psm_table(rows: Sequence[dict], path: Path | str) -> None:
    """The rows as a tab-separated table with a header line."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, PSM_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "decoy": int(row["decoy"]), "proteins": ";".join(row["proteins"])})


_INTEGER_COLUMNS = ("charge", "isotope_error", "matched_peaks")
_FLOAT_COLUMNS = ("precursor_mz", "calculated_mass", "ppm_error", "score", "q_value", "peptide_q_value")


def read_psm_table(path: Path | str) -> list[dict]:
    """The rows of a table written by `write_psm_table`, with their types back (decoy a
    bool, proteins a tuple). A missing column or a bad value raises SequenceFileError
    naming the file and line."""
    rows = []
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [column for column in PSM_COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise SequenceFileError(path, f"not a PSM table: no column {', '.join(missing)}", line=1)
        for line, row in enumerate(reader, start=2):
            try:
                for column in _INTEGER_COLUMNS:
                    row[column] = int(row[column])
                for column in _FLOAT_COLUMNS:
                    row[column] = float(row[column])
                row["decoy"] = bool(int(row["decoy"]))
            except (TypeError, ValueError) as error:
                raise SequenceFileError(path, f"line {line}: {error}", line=line) from None
            row["proteins"] = tuple(row["proteins"].split(";")) if row["proteins"] else ()
            rows.append(row)
    return rows


PEPTIDE_COLUMNS = (
    "peptide", "modifications", "proteins", "decoy", "peptide_q_value", "psms", "score", "file", "spectrum",
    "charge", "ppm_error", "matched_peaks", "q_value",
)  # fmt: skip


def accepted_peptides(rows: Sequence[dict], fdr: float) -> list[dict]:
    """One row per peptide (sequence and modifications; decoys kept, flagged) whose
    peptide-level q-value is at most `fdr`: its best PSM (PEPTIDE_COLUMNS), with "psms" the
    number of its PSMs at PSM-level q-value <= `fdr`. Best score first."""
    best: dict[tuple, dict] = {}
    counts: dict[tuple, int] = {}
    for row in rows:
        if row["peptide_q_value"] > fdr:
            continue
        key = (row["peptide"], row["modifications"], row["decoy"])
        counts[key] = counts.get(key, 0) + (row["q_value"] <= fdr)
        if key not in best or row["score"] > best[key]["score"]:
            best[key] = row
    peptides = [{**row, "psms": counts[key]} for key, row in best.items()]
    peptides.sort(key=lambda row: (-row["score"], row["peptide"]))
    return peptides


def write_table(rows: Sequence[dict], columns: Sequence[str], path: Path | str) -> None:
    """Rows as a tab-separated table of `columns`: floats with 6 significant digits,
    bools as 0/1, tuples joined by ';'."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[column]) for column in columns])


def _cell(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return ";".join(value)
    return value


def _search_batch(file_name, spectra, database, parameters, threads):
    if not spectra:
        return []
    prepared = []
    for spectrum in spectra:
        mz, intensity = preprocess_spectrum(
            spectrum.mz, spectrum.intensity, deisotope_peaks=parameters.deisotope, top_n=parameters.top_n,
        )  # fmt: skip
        prepared.append((mz, intensity, spectrum.precursor_mz, spectrum.charges or parameters.unknown_charges))
    batch = spectrum_batch(prepared)
    found = search_spectra(batch, database.index, database.packed, parameters.search, threads)
    return [
        _psm_row(file_name, spectrum, matches, database)
        for spectrum, matches in zip(spectra, found)
        if len(matches)
    ]


def _psm_row(file_name, spectrum, found, database):
    entry, peptide = int(found.entry[0]), int(found.peptide[0])
    form = database.index.form(entry)
    return {
        "file": file_name,
        "spectrum": spectrum.identifier,
        "peptide": database.peptides[peptide],
        "modifications": ";".join(f"{modification.name}@{site}" for site, modification in form),
        "charge": int(found.charge[0]),
        "precursor_mz": spectrum.precursor_mz,
        "calculated_mass": float(database.index.masses[entry]),
        "ppm_error": float(found.precursor_error_ppm[0]),
        "isotope_error": int(found.isotope_error[0]),
        "matched_peaks": int(found.matched_peaks[0]),
        "score": float(found.score[0]),
        "decoy": bool(database.is_decoy[peptide]),
        "proteins": database.proteins[peptide],
    }


def _peaks(path, number, identifier, record):
    mz = np.asarray(record.get("m/z array", ()), dtype=np.float64)
    intensity = np.asarray(record.get("intensity array", ()), dtype=np.float64)
    if mz.shape != intensity.shape:
        message = f"record {number} ({identifier}): m/z and intensity arrays differ in length"
        raise SequenceFileError(path, message, number)
    if not (np.isfinite(mz).all() and np.isfinite(intensity).all()) or (intensity < 0).any():
        raise SequenceFileError(path, f"record {number} ({identifier}): non-finite or negative peak values", number)
    return mz, intensity.astype(np.float32)


def _opened(path, mode, encoding=None):
    """The file, decompressed when it is gzip (uploads may be): text or bytes by `mode`."""
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, mode, encoding=encoding) if compressed else open(path, mode, encoding=encoding)


def _read_mgf(path):
    number = 0
    try:
        with _opened(path, "rt") as source, mgf.read(source, use_index=False, convert_arrays=1) as reader:
            for number, record in enumerate(reader, start=1):
                params = record.get("params", {})
                identifier = str(params.get("title", f"record {number}"))
                pepmass = params.get("pepmass")
                if not pepmass or pepmass[0] is None:
                    raise SequenceFileError(path, f"record {number} ({identifier}): no PEPMASS", number)
                charges = tuple(int(c) for c in (params.get("charge") or ()) if int(c) > 0)
                mz, intensity = _peaks(path, number, identifier, record)
                yield Spectrum(identifier, float(pepmass[0]), charges, mz, intensity)
    except SequenceFileError:
        raise
    except PARSE_ERRORS as error:
        raise SequenceFileError(path, f"record {number + 1}: {error}", number + 1) from None


@lru_cache(maxsize=1)
def _psi_ms_vocabulary():
    """psims' bundled PSI-MS vocabulary, so reading mzML needs no network look-up."""
    from psims.controlled_vocabulary.controlled_vocabulary import ControlledVocabulary

    bundled = importlib.resources.files("psims.controlled_vocabulary.vendor").joinpath("psi-ms.obo.gz")
    with bundled.open("rb") as raw, gzip.open(raw) as handle:
        return ControlledVocabulary.from_obo(handle)


def _read_mzml(path):
    number = 0
    try:
        with _opened(path, "rb") as source, mzml.MzML(source, cv=_psi_ms_vocabulary(), use_index=False) as reader:
            for number, record in enumerate(reader, start=1):
                if record.get("ms level") != 2:
                    continue
                identifier = str(record.get("id", f"record {number}"))
                try:
                    ion = record["precursorList"]["precursor"][0]["selectedIonList"]["selectedIon"][0]
                    precursor_mz = float(ion["selected ion m/z"])
                except (KeyError, IndexError, TypeError, ValueError):
                    message = f"record {number} ({identifier}): no selected precursor m/z"
                    raise SequenceFileError(path, message, number) from None
                charge = ion.get("charge state")
                mz, intensity = _peaks(path, number, identifier, record)
                yield Spectrum(identifier, precursor_mz, (int(charge),) if charge else (), mz, intensity)
    except SequenceFileError:
        raise
    except PARSE_ERRORS as error:
        raise SequenceFileError(path, f"record {number + 1}: {error}", number + 1) from None

