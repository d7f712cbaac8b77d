"""In-silico digestion of proteins by the enzymes that search engines offer.

A protein is a uint8 array of residue letters. A cleavage site is a bond between two
residues, numbered by the offset of the residue after it: site i lies between
protein[i-1] and protein[i] (0 < i < length). An enzyme is a table over (residue before,
residue after) saying which bonds it cuts. The boundaries of a protein are its two ends
and its sites; a peptide is a half-open range [start, end) with

- specific digestion: both ends boundaries, and at most `missed_cleavages` sites strictly
  inside;
- semi-specific digestion (option): at least one end a boundary, and at most
  `missed_cleavages` sites strictly inside. These are the specific peptides and every
  prefix and suffix of a specific peptide of any length (Sage's definition; pyteomics
  takes prefixes and suffixes only of specific peptides within the length bounds);
- `min_length <= end - start <= max_length`;
- only the 20 standard residues ACDEFGHIKLMNPQRSTVWY. A peptide holding anything else
  (the ambiguous B, J, X, Z, the rare U and O, '*', a lower-case letter) is skipped, as
  most engines do; such letters still take part in deciding sites (an X after K is not a
  P, so trypsin cuts there), so skipping one peptide changes no other.

Initiator methionine: with `clip_n_term_met` a protein that starts with M is also digested
without it, its second residue then being a protein N-terminus, and the union is returned.
Engines do this because the methionine is often removed in the cell; the peptides from
the protein start come both with and without the M.

The enzymes (`ENZYMES`) and how each relates to pyteomics' rules (`pyteomics.parser`):

| name | cuts | equals |
|---|---|---|
| trypsin | after K or R, not before P | PSI-MS 'Trypsin'. Expasy's 'trypsin' also cuts W-K-P and M-R-P |
| trypsin/p | after K or R | PSI-MS 'Trypsin/P' |
| lys-c | after K, not before P | PSI-MS 'Lys-C' (Comet, MaxQuant). Expasy's 'lysc' also cuts K-P |
| lys-n | before K | pyteomics has no Lys-N rule; the regex `\\w(?=K)` |
| arg-c | after R, not before P | PSI-MS 'Arg-C'. Expasy's 'arg-c' also cuts R-P |
| asp-n | before D | Expasy 'asp-n'. PSI-MS 'Asp-N' also cuts before B |
| glu-c | after E | Expasy 'glutamyl endopeptidase' (bicarbonate buffer) |
| chymotrypsin | after F or Y not before P; after W not before M or P | Expasy 'chymotrypsin high specificity' |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kernels.jit import kernel

STANDARD_RESIDUES = "ACDEFGHIKLMNPQRSTVWY"
OTHER_CODE = 26  # the code of every byte that is not an upper-case letter
METHIONINE = ord("M")

# Byte -> 0..25 for 'A'..'Z', OTHER_CODE for everything else.
RESIDUE_CODES = np.full(256, OTHER_CODE, dtype=np.uint8)
RESIDUE_CODES[ord("A") : ord("Z") + 1] = np.arange(26, dtype=np.uint8)
# Byte -> 1 for the 20 standard residues, else 0.
STANDARD_MASK = np.zeros(256, dtype=np.uint8)
STANDARD_MASK[np.frombuffer(STANDARD_RESIDUES.encode("ascii"), dtype=np.uint8)] = 1


@dataclass(frozen=True)
class CleavageClause:
    """Bonds cut: residue before in `before` (None: any), residue after in `after` (None:
    any) and not in `not_after`. The "residues" may be any letter, X included."""

    before: str | None
    after: str | None = None
    not_after: str = ""


@dataclass(frozen=True)
class Enzyme:
    """An enzyme: it cuts a bond when any of its clauses holds."""

    name: str
    clauses: tuple[CleavageClause, ...]

    def site_table(self) -> np.ndarray:
        """uint8[27, 27]: 1 where the enzyme cuts between codes (before, after)."""
        table = np.zeros((OTHER_CODE + 1, OTHER_CODE + 1), dtype=np.uint8)
        every_code = list(range(OTHER_CODE + 1))
        for clause in self.clauses:
            before = every_code if clause.before is None else [ord(r) - ord("A") for r in clause.before]
            after = every_code if clause.after is None else [ord(r) - ord("A") for r in clause.after]
            blocked = {ord(r) - ord("A") for r in clause.not_after}
            for first in before:
                for second in after:
                    if second not in blocked:
                        table[first, second] = 1
        return table


ENZYMES: dict[str, Enzyme] = {
    enzyme.name: enzyme
    for enzyme in (
        Enzyme("trypsin", (CleavageClause("KR", not_after="P"),)),
        Enzyme("trypsin/p", (CleavageClause("KR"),)),
        Enzyme("lys-c", (CleavageClause("K", not_after="P"),)),
        Enzyme("lys-n", (CleavageClause(None, after="K"),)),
        Enzyme("arg-c", (CleavageClause("R", not_after="P"),)),
        Enzyme("asp-n", (CleavageClause(None, after="D"),)),
        Enzyme("glu-c", (CleavageClause("E"),)),
        Enzyme("chymotrypsin", (CleavageClause("FY", not_after="P"), CleavageClause("W", not_after="MP"))),
    )
}


def as_residue_array(sequence: str | bytes | bytearray | np.ndarray) -> np.ndarray:
    """The sequence as a contiguous uint8 array of letters (a str must be ASCII)."""
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii")
    if isinstance(sequence, (bytes, bytearray)):
        return np.frombuffer(bytes(sequence), dtype=np.uint8)
    array = np.ascontiguousarray(sequence)
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ValueError("a sequence array must be one-dimensional uint8")
    return array


def pack_sequences(sequences: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ASCII sequences: (uint8 buffer, int64 offsets of n + 1 entries)."""
    encoded = [sequence.encode("ascii") for sequence in sequences]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def _enzyme(enzyme: str | Enzyme) -> Enzyme:
    if isinstance(enzyme, Enzyme):
        return enzyme
    try:
        return ENZYMES[enzyme.lower()]
    except KeyError:
        raise ValueError(f"unknown enzyme {enzyme!r}; known: {', '.join(ENZYMES)}") from None


def _check_settings(missed_cleavages: int, min_length: int, max_length: int) -> None:
    if missed_cleavages < 0:
        raise ValueError("missed_cleavages must not be negative")
    if min_length < 1 or max_length < min_length:
        raise ValueError("lengths must satisfy 1 <= min_length <= max_length")


def cleavage_sites(protein: str | bytes | np.ndarray, enzyme: str | Enzyme = "trypsin") -> np.ndarray:
    """The boundaries of `protein` under `enzyme`, ascending: 0, every site, the length.

    An empty protein has the single boundary 0.
    """
    residues = as_residue_array(protein)
    return _boundaries(residues, 0, residues.size, _enzyme(enzyme).site_table(), RESIDUE_CODES)


def digest_positions(
    protein: str | bytes | np.ndarray,
    enzyme: str | Enzyme = "trypsin",
    *,
    missed_cleavages: int = 1,
    min_length: int = 5,
    max_length: int = 50,
    semi_specific: bool = False,
    clip_n_term_met: bool = True,
) -> np.ndarray:
    """The peptides of one protein as an int64 array of (start, end) rows, as the module
    docstring defines them, each range once, sorted by start then end."""
    _check_settings(missed_cleavages, min_length, max_length)
    return _digest(
        as_residue_array(protein),
        _enzyme(enzyme).site_table(),
        RESIDUE_CODES,
        STANDARD_MASK,
        missed_cleavages,
        min_length,
        max_length,
        semi_specific,
        clip_n_term_met,
    )


def digest_proteins(
    proteins: Sequence[str],
    enzyme: str | Enzyme = "trypsin",
    *,
    missed_cleavages: int = 1,
    min_length: int = 5,
    max_length: int = 50,
    semi_specific: bool = False,
    clip_n_term_met: bool = True,
) -> np.ndarray:
    """`digest_positions` for many proteins at once: int64 rows (protein index, start, end),
    by protein, then start, then end."""
    _check_settings(missed_cleavages, min_length, max_length)
    buffer, offsets = pack_sequences(proteins)
    return _digest_proteins(
        buffer,
        offsets,
        _enzyme(enzyme).site_table(),
        RESIDUE_CODES,
        STANDARD_MASK,
        missed_cleavages,
        min_length,
        max_length,
        semi_specific,
        clip_n_term_met,
    )


def digest_protein(
    protein: str,
    enzyme: str | Enzyme = "trypsin",
    *,
    missed_cleavages: int = 1,
    min_length: int = 5,
    max_length: int = 50,
    semi_specific: bool = False,
    clip_n_term_met: bool = True,
) -> list[str]:
    """The peptide sequences of `protein` (upper-cased first), each sequence once, in the
    order of their first (start, end)."""
    text = protein.upper()
    positions = digest_positions(
        text,
        enzyme,
        missed_cleavages=missed_cleavages,
        min_length=min_length,
        max_length=max_length,
        semi_specific=semi_specific,
        clip_n_term_met=clip_n_term_met,
    )
    return list(dict.fromkeys(text[start:end] for start, end in positions.tolist()))


def starts_protein(
    positions: np.ndarray, protein: str | bytes | np.ndarray, clip_n_term_met: bool = True
) -> np.ndarray:
    """Bool per (start, end) row: does the peptide start at a protein N-terminus (offset 0,
    or offset 1 after a clipped initiator methionine)? Protein N-terminal modifications
    (acetylation) may sit only on these."""
    residues = as_residue_array(protein)
    starts = np.asarray(positions)[:, 0]
    clipped = clip_n_term_met and residues.size >= 2 and residues[0] == METHIONINE
    return (starts == 0) | ((starts == 1) & clipped)


@kernel
def _boundaries(protein, start, end, site_table, codes):
    """start, the sites strictly between start and end, and end (just start if empty)."""
    boundaries = np.empty(max(end - start + 1, 1), np.int64)
    boundaries[0] = start
    count = 1
    if end > start:
        for position in range(start + 1, end):
            if site_table[codes[protein[position - 1]], codes[protein[position]]]:
                boundaries[count] = position
                count += 1
        boundaries[count] = end
        count += 1
    return boundaries[:count]


@kernel
def _peptide_bound(boundaries, missed_cleavages, min_length, max_length, semi_specific):
    """An upper bound on the ranges `_emit_peptides` writes for these boundaries."""
    last = boundaries.size - 1
    total = 0
    for first in range(last):
        farthest = min(first + missed_cleavages + 1, last)
        if semi_specific:
            low = boundaries[first] + min_length
            high = min(boundaries[farthest], boundaries[first] + max_length)
            total += max(high - low + 1, 0)
        else:
            total += farthest - first
    if semi_specific:
        for final in range(1, last + 1):
            nearest = max(final - missed_cleavages - 1, 0)
            low = max(boundaries[nearest], boundaries[final] - max_length)
            high = boundaries[final] - min_length
            total += max(high - low + 1, 0)
    return total


@kernel
def _emit_peptides(boundaries, unusable, missed_cleavages, min_length, max_length, semi_specific, out, count):
    """Write the ranges of the module docstring into out[count:], return the new count.

    Semi-specific ranges start at a boundary and end anywhere up to the boundary
    `missed_cleavages + 1` further on, or the mirror image; the specific ones are among
    them. `unusable[k]` counts non-standard residues before offset k.
    """
    last = boundaries.size - 1
    for first in range(last):
        start = boundaries[first]
        farthest = min(first + missed_cleavages + 1, last)
        if semi_specific:
            for end in range(start + min_length, min(boundaries[farthest], start + max_length) + 1):
                if unusable[end] == unusable[start]:
                    out[count, 0] = start
                    out[count, 1] = end
                    count += 1
        else:
            for final in range(first + 1, farthest + 1):
                end = boundaries[final]
                length = end - start
                if min_length <= length <= max_length and unusable[end] == unusable[start]:
                    out[count, 0] = start
                    out[count, 1] = end
                    count += 1
    if semi_specific:
        for final in range(1, last + 1):
            end = boundaries[final]
            nearest = max(final - missed_cleavages - 1, 0)
            for start in range(max(boundaries[nearest], end - max_length), end - min_length + 1):
                if unusable[end] == unusable[start]:
                    out[count, 0] = start
                    out[count, 1] = end
                    count += 1
    return count


@kernel
def _digest(protein, site_table, codes, standard, missed_cleavages, min_length, max_length, semi_specific, clip_met):
    """(start, end) rows of the module docstring, unique, sorted by start then end."""
    length = protein.size
    unusable = np.zeros(length + 1, np.int64)
    for offset in range(length):
        unusable[offset + 1] = unusable[offset] + (1 - standard[protein[offset]])
    whole = _boundaries(protein, 0, length, site_table, codes)
    bound = _peptide_bound(whole, missed_cleavages, min_length, max_length, semi_specific)
    clipped = clip_met and length >= 2 and protein[0] == METHIONINE
    without_met = whole
    if clipped:
        without_met = _boundaries(protein, 1, length, site_table, codes)
        bound += _peptide_bound(without_met, missed_cleavages, min_length, max_length, semi_specific)
    ranges = np.empty((bound, 2), np.int64)
    count = _emit_peptides(whole, unusable, missed_cleavages, min_length, max_length, semi_specific, ranges, 0)
    if clipped:
        count = _emit_peptides(
            without_met, unusable, missed_cleavages, min_length, max_length, semi_specific, ranges, count
        )
    # The two digests and the two semi-specific directions overlap: keep each range once.
    keys = np.unique(ranges[:count, 0] * (length + 1) + ranges[:count, 1])
    result = np.empty((keys.size, 2), np.int64)
    for row in range(keys.size):
        result[row, 0] = keys[row] // (length + 1)
        result[row, 1] = keys[row] % (length + 1)
    return result


@kernel
def _digest_proteins(
    buffer, offsets, site_table, codes, standard, missed_cleavages, min_length, max_length, semi_specific, clip_met
):
    """(protein index, start, end) rows for the proteins buffer[offsets[p]:offsets[p+1]]."""
    capacity = 1024
    rows = np.empty((capacity, 3), np.int64)
    count = 0
    for protein_index in range(offsets.size - 1):
        protein = buffer[offsets[protein_index] : offsets[protein_index + 1]]
        ranges = _digest(
            protein, site_table, codes, standard, missed_cleavages, min_length, max_length, semi_specific, clip_met
        )
        needed = count + ranges.shape[0]
        if needed > capacity:
            capacity = max(2 * capacity, needed)
            grown = np.empty((capacity, 3), np.int64)
            grown[:count] = rows[:count]
            rows = grown
        for row in range(ranges.shape[0]):
            rows[count, 0] = protein_index
            rows[count, 1] = ranges[row, 0]
            rows[count, 2] = ranges[row, 1]
            count += 1
    return rows[:count].copy()
