"""cutadapt's shortcut for many anchored adapters, reproduced because it changes results.

When more than five anchored 5' (or 3') adapters qualify (no wildcards on either side,
at most int(length * rate) <= 2 errors), cutadapt (4.x) stops aligning them one by one:
- the adapters are searched in a new order: all others first, then the anchored 5'
  ones as one group, then the anchored 3' ones as one group (a group of one stays an
  ordinary adapter);
- each group is a dictionary of every string within the allowed errors of one of its
  adapters (Hamming distance without indels, edit distance with them; the alphabet of
  substitutions and insertions is ACGT). A string reachable from two adapters belongs
  to the adapter given first. Each entry keeps its errors and a score: the number of
  matches without indels, the global alignment score with them;
- a read is looked up by its prefix (suffix) of each string length present, longest
  first, keeping the entry with most score, then fewest errors; a read shorter than a
  length is looked up whole but the match still counts that length (for 3' adapters
  cutadapt then keeps `2 * read length - length` bases, its slicing of a negative start).
  If the longest prefix (suffix) holds an N, the group's adapters are aligned one by one
  as usual instead.
The group's match then competes with the other adapters' matches by score and errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from kernels.adapter_alignment import _align
from kernels.adapter_table import (
    P_GROUP_SIZE,
    P_INDEX_GROUP,
    READ_TABLE_UPPER,
    TABLES,
    AdapterParameters,
    AdapterTable,
    adapter_table,
)
from kernels.jit import kernel

INDEXING_THRESHOLD = 5
GROUP_KINDS = ("anchored_front", "anchored_back")  # group 0 and group 1
LOOKUP_NONE, LOOKUP_FOUND, LOOKUP_ALIGN = 0, 1, 2
HASH_MODULUS = 2147483647  # a prime; keys hash as base-257 numbers modulo it, in int64 without overflow


def _group(adapter: AdapterParameters) -> int:
    if adapter.kind not in GROUP_KINDS or adapter.read_wildcards or adapter.adapter_wildcards:
        return -1
    if int(len(adapter.sequence) * adapter.max_error_rate) > 2:
        return -1
    return GROUP_KINDS.index(adapter.kind)


def search_order(adapters: Sequence[AdapterParameters]) -> tuple[list[int], list[int]]:
    """(adapter indices in cutadapt's search order, group of each position: -1, 0 or 1)."""
    groups = [_group(adapter) for adapter in adapters]
    if groups.count(0) <= INDEXING_THRESHOLD and groups.count(1) <= INDEXING_THRESHOLD:
        return list(range(len(adapters))), [-1] * len(adapters)
    order, position_groups = [], []
    for wanted in (-1, 0, 1):
        members = [index for index, group in enumerate(groups) if group == wanted]
        order += members
        position_groups += [wanted if len(members) > 1 else -1] * len(members)
    return order, position_groups


def _hamming_environment(sequence: bytes, errors: int) -> Iterator[tuple[bytes, int, int]]:
    if errors == 0:
        yield sequence, 0, len(sequence)
        return
    yield from _hamming_environment(sequence, errors - 1)
    for positions in _combinations(len(sequence), errors):
        variants = [[letter for letter in b"ACGT" if letter != sequence[position]] for position in positions]
        for letters in _product(variants):
            changed = bytearray(sequence)
            for position, letter in zip(positions, letters):
                changed[position] = letter
            yield bytes(changed), errors, len(sequence) - errors


def _combinations(count: int, chosen: int) -> Iterator[tuple[int, ...]]:
    if chosen == 0:
        yield ()
        return
    for first in range(count - chosen + 1):
        for rest in _combinations(count - first - 1, chosen - 1):
            yield (first, *(first + 1 + position for position in rest))


def _product(options: list[list[int]]) -> Iterator[tuple[int, ...]]:
    if not options:
        yield ()
        return
    for head in options[0]:
        for tail in _product(options[1:]):
            yield (head, *tail)


def _edit_strings(sequence: bytes, errors: int) -> set[bytes]:
    """Every string within `errors` edits of `sequence` (ACGT inserted or substituted)."""
    found = {sequence}
    frontier = {sequence}
    for _ in range(errors):
        reached = set()
        for text in frontier:
            for position in range(len(text) + 1):
                for letter in b"ACGT":
                    reached.add(text[:position] + bytes([letter]) + text[position:])
                    if position < len(text):
                        reached.add(text[:position] + bytes([letter]) + text[position + 1:])
                if position < len(text):
                    reached.add(text[:position] + text[position + 1:])
        frontier = reached - found
        found |= reached
    return found


@kernel
def _global_scores(codes, m, texts, offsets, rate, tables, match_masks, n_before, errors, scores):
    """Cost and score of aligning the whole adapter with each whole text (no free ends)."""
    cost = np.zeros(m + 1, dtype=np.int32)
    score = np.zeros(m + 1, dtype=np.int32)
    origin = np.zeros(m + 1, dtype=np.int32)
    for text in range(offsets.size - 1):
        found, _a, _b, _c, _d, text_score, text_errors = _align(
            codes, 0, m, texts, offsets[text], offsets[text + 1] - offsets[text], tables, 0, True, 0, rate, m, 1,
            False, m, n_before, 0, cost, score, origin, 0, match_masks, 0)
        errors[text] = text_errors if found else -1
        scores[text] = text_score


def _edit_environment(sequence: bytes, errors: int) -> Iterator[tuple[bytes, int, int]]:
    texts = sorted(_edit_strings(sequence, errors))
    table = adapter_table([AdapterParameters(sequence, "back", errors / len(sequence), len(sequence))])
    offsets = np.cumsum([0] + [len(text) for text in texts], dtype=np.int64)
    found_errors = np.empty(len(texts), dtype=np.int64)
    found_scores = np.empty(len(texts), dtype=np.int64)
    _global_scores(table.codes, len(sequence), np.frombuffer(b"".join(texts), dtype=np.uint8), offsets,
                   errors / len(sequence), TABLES, table.match_masks, table.n_before, found_errors, found_scores)
    for text, text_errors, text_score in zip(texts, found_errors.tolist(), found_scores.tolist()):
        if text_errors >= 0:
            yield text, text_errors, text_score


@kernel
def _hash(group, data, start, length):
    value = group + 1
    for position in range(start, start + length):
        value = (value * 257 + np.int64(data[position]) + 1) % HASH_MODULUS
    return value


@kernel
def _fill_slots(keys, key_offsets, values, slots):
    mask = slots.size - 1
    for entry in range(key_offsets.size - 1):
        slot = _hash(values[entry, 0], keys, key_offsets[entry], key_offsets[entry + 1] - key_offsets[entry]) & mask
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = entry


def indexed_adapter_table(adapters: Sequence[AdapterParameters]) -> AdapterTable:
    """`adapter_table` in cutadapt's search order, with the groups' dictionaries."""
    order, groups = search_order(adapters)
    ordered = [adapters[index] for index in order]
    table = adapter_table(ordered)
    if all(group < 0 for group in groups):
        return table
    entries: dict[tuple[int, bytes], tuple[int, int, int]] = {}
    lengths: list[set[int]] = [set(), set()]
    for row, (adapter, group) in enumerate(zip(ordered, groups)):
        table.parameters[row, P_INDEX_GROUP] = group
        if group < 0:
            continue
        if row == 0 or groups[row - 1] != group:
            table.parameters[row, P_GROUP_SIZE] = groups.count(group)
        allowed = int(adapter.max_error_rate * len(adapter.sequence))
        environment = _edit_environment if adapter.indels else _hamming_environment
        for text, errors, score in environment(adapter.sequence, allowed):
            entries.setdefault((group, text), (row, errors, score))
            lengths[group].add(len(text))
    keys = b"".join(text for _, text in entries)
    key_offsets = np.cumsum([0] + [len(text) for _, text in entries], dtype=np.int64)
    values = np.array([(group, *value) for (group, _), value in entries.items()], dtype=np.int64).reshape(-1, 4)
    slots = np.full(1 << max(4, (2 * len(entries)).bit_length()), -1, dtype=np.int64)
    _fill_slots(np.frombuffer(keys, dtype=np.uint8), key_offsets, values, slots)
    width = max(len(group_lengths) for group_lengths in lengths)
    length_rows = np.full((2, width), -1, dtype=np.int64)
    for group, group_lengths in enumerate(lengths):
        length_rows[group, : len(group_lengths)] = sorted(group_lengths, reverse=True)
    return table._replace(index_keys=np.frombuffer(keys, dtype=np.uint8).copy(), index_key_offsets=key_offsets,
                          index_values=values, index_slots=slots, index_lengths=length_rows)


@kernel
def _find(group, keys, key_offsets, values, slots, read, start, length, tables):
    """Entry of (group, upper-cased read[start:start+length]), or -1."""
    upper = tables[READ_TABLE_UPPER]
    value = group + 1
    for position in range(start, start + length):
        value = (value * 257 + np.int64(upper[read[position]]) + 1) % HASH_MODULUS
    mask = slots.size - 1
    slot = value & mask
    while slots[slot] >= 0:
        entry = slots[slot]
        if values[entry, 0] == group and key_offsets[entry + 1] - key_offsets[entry] == length:
            same = True
            for offset in range(length):
                if keys[key_offsets[entry] + offset] != upper[read[start + offset]]:
                    same = False
                    break
            if same:
                return entry
        slot = (slot + 1) & mask
    return -1


@kernel
def _index_lookup(group, keys, key_offsets, values, slots, lengths, tables, read, start, stop):
    """Look a read up in a group's dictionary (module docstring).

    Returns (LOOKUP_*, table row, nominal length, score, errors).
    """
    n = stop - start
    suffix = group == 1
    best_entry, best_length, best_score, best_errors = -1, 0, -1, 1000
    for index in range(lengths.shape[1]):
        length = lengths[group, index]
        if length < 0 or length < best_score:
            break
        taken = min(length, n)
        first = stop - taken if suffix else start
        if index == 0:
            for position in range(first, first + taken):
                if tables[READ_TABLE_UPPER, read[position]] == 78:  # N
                    return LOOKUP_ALIGN, 0, 0, 0, 0
        entry = _find(group, keys, key_offsets, values, slots, read, first, taken, tables)
        if entry >= 0 and (values[entry, 3] > best_score
                           or (values[entry, 3] == best_score and values[entry, 2] < best_errors)):
            best_entry, best_length = entry, length
            best_score, best_errors = values[entry, 3], values[entry, 2]
    if best_entry < 0:
        return LOOKUP_NONE, 0, 0, 0, 0
    return LOOKUP_FOUND, values[best_entry, 1], best_length, best_score, best_errors
