"""Decoy peptides for target-decoy competition, made on the fly from the target peptides.

Both kinds keep the peptide's C-terminal residue (the enzyme's K or R for trypsin), so a
decoy has its target's composition, mass and precursor charge behaviour:

- reversed: the residues before the last one in reverse order (PEPTIDEK -> EDITPEPK);
- shuffled: those residues in an order drawn from a generator seeded by the seed and the
  peptide itself, so a peptide gets the same decoy whichever protein or run it comes
  from. The generator is splitmix64 started at `seed XOR FNV-1a-64(peptide)`; a
  Fisher-Yates shuffle draws j = next() mod (i + 1) for i = n - 2 down to 1. A shuffle
  that reproduces the target is redrawn (continuing the generator), up to
  `SHUFFLE_ATTEMPTS` draws in all; after that the last draw stands.

`target_decoy_peptides` puts targets and decoys together and tags each entry; a decoy
equal to a target or to an earlier decoy is dropped (it could not be told apart). In
output tables a decoy's proteins are its target's accessions with `DECOY_TAG` in front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kernels.digestion import pack_sequences
from kernels.jit import kernel

DECOY_TAG = "rev_"
SHUFFLE_ATTEMPTS = 10
DECOY_METHODS = ("reverse", "shuffle")

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True)
class TargetDecoyPeptides:
    """Targets then decoys: `sequences[i]`, `is_decoy[i]`, and `source[i]`, the index in
    `sequences` of the target entry i comes from (itself for a target)."""

    sequences: list[str]
    is_decoy: np.ndarray
    source: np.ndarray


def reversed_decoy(peptide: str) -> str:
    """The peptide with all residues but the last in reverse order."""
    return decoy_sequences([peptide], "reverse")[0]


def shuffled_decoy(peptide: str, seed: int = 0) -> str:
    """The peptide with all residues but the last shuffled, as the module docstring says."""
    return decoy_sequences([peptide], "shuffle", seed)[0]


def decoy_sequences(peptides: Sequence[str], method: str = "reverse", seed: int = 0) -> list[str]:
    """One decoy per peptide, in order (`method` 'reverse' or 'shuffle'; `seed` is used by
    'shuffle' and taken modulo 2**64)."""
    if method not in DECOY_METHODS:
        raise ValueError(f"unknown decoy method {method!r}; known: {', '.join(DECOY_METHODS)}")
    buffer, offsets = pack_sequences(peptides)
    if method == "reverse":
        decoys = _reversed_decoys(buffer, offsets)
    else:
        decoys = _shuffled_decoys(buffer, offsets, np.uint64(seed % 2**64), SHUFFLE_ATTEMPTS)
    text = decoys.tobytes().decode("ascii")
    return [text[offsets[index] : offsets[index + 1]] for index in range(len(peptides))]


def target_decoy_peptides(targets: Sequence[str], method: str = "reverse", seed: int = 0) -> TargetDecoyPeptides:
    """The distinct targets in first-seen order, then the decoy of each in the same order,
    but for decoys equal to a target or to an earlier decoy."""
    unique_targets = list(dict.fromkeys(targets))
    sequences = list(unique_targets)
    source = list(range(len(unique_targets)))
    seen = set(unique_targets)
    for index, decoy in enumerate(decoy_sequences(unique_targets, method, seed)):
        if decoy not in seen:
            seen.add(decoy)
            sequences.append(decoy)
            source.append(index)
    is_decoy = np.zeros(len(sequences), dtype=bool)
    is_decoy[len(unique_targets) :] = True
    return TargetDecoyPeptides(sequences, is_decoy, np.array(source, dtype=np.int64))


def tag_decoy_accession(accession: str, tag: str = DECOY_TAG) -> str:
    """The accession a decoy protein is reported under."""
    return tag + accession


@kernel
def _reversed_decoys(buffer, offsets):
    decoys = buffer.copy()
    for index in range(offsets.size - 1):
        start = offsets[index]
        last = offsets[index + 1] - 1
        for offset in range(start, last):
            decoys[offset] = buffer[last - 1 - (offset - start)]
    return decoys


@kernel
def _peptide_hash(peptide):
    """FNV-1a, 64 bits, over the residue bytes."""
    state = _FNV_OFFSET
    for residue in peptide:
        state = (state ^ np.uint64(residue)) * _FNV_PRIME
    return state


@kernel
def _splitmix64(state):
    """(next state, output) of splitmix64."""
    state = state + _GOLDEN_GAMMA
    mixed = (state ^ (state >> np.uint64(30))) * _MIX_1
    mixed = (mixed ^ (mixed >> np.uint64(27))) * _MIX_2
    return state, mixed ^ (mixed >> np.uint64(31))


@kernel
def _shuffled_decoys(buffer, offsets, seed, attempts):
    decoys = buffer.copy()
    for index in range(offsets.size - 1):
        start = offsets[index]
        end = offsets[index + 1]
        state = seed ^ _peptide_hash(buffer[start:end])
        for _ in range(attempts):
            decoys[start:end] = buffer[start:end]
            for position in range(end - start - 2, 0, -1):
                state, draw = _splitmix64(state)
                other = np.int64(draw % np.uint64(position + 1))
                held = decoys[start + position]
                decoys[start + position] = decoys[start + other]
                decoys[start + other] = held
            same = True
            for offset in range(start, end):
                if decoys[offset] != buffer[offset]:
                    same = False
                    break
            if not same:
                break
    return decoys
