"""The adapter matcher against the naive full-matrix alignment in tests/naive_trimming.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kernels.adapter_alignment import AdapterMatch, locate_adapter
from kernels.adapter_table import KIND_FLAGS, P_BIT_PARALLEL, AdapterParameters, adapter_table
from tests.naive_trimming import naive_locate

KINDS = sorted(KIND_FLAGS)


def locate(adapter: str, read: str, kind: str = "back", rate: float = 0.1, min_overlap: int = 3,
           indels: bool = True, adapter_wildcards: bool = True, read_wildcards: bool = False,
           bit_parallel: bool = True):
    wildcards = adapter_wildcards and not set(adapter.upper()) <= set("ACGT")
    if kind.startswith("anchored"):
        min_overlap = len(adapter)
    parameters = AdapterParameters(adapter.encode(), kind, rate, min(min_overlap, len(adapter)), indels, wildcards,
                                   read_wildcards)
    table = adapter_table([parameters])
    if not bit_parallel:
        table.parameters[:, P_BIT_PARALLEL] = 0
    return locate_adapter(table, 0, read.encode())


def naive(adapter: str, read: str, kind: str = "back", rate: float = 0.1, min_overlap: int = 3,
          indels: bool = True, adapter_wildcards: bool = True, read_wildcards: bool = False):
    wildcards = adapter_wildcards and not set(adapter.upper()) <= set("ACGT")
    if kind.startswith("anchored"):
        min_overlap = len(adapter)
    return naive_locate(adapter, read, kind, rate, min(min_overlap, len(adapter)), indels, wildcards, read_wildcards)


def as_tuple(match):
    return None if match is None else tuple(match)


@pytest.mark.parametrize("kind", KINDS)
def test_empty_read_has_no_match(kind):
    assert locate("ACGTACGT", "", kind) is None
    assert naive("ACGTACGT", "", kind) is None


def test_all_n_read_matches_only_with_read_wildcards():
    assert locate("ACGTACGTAC", "N" * 30) is None
    match = locate("ACGTACGTAC", "N" * 30, read_wildcards=True)
    assert match == AdapterMatch(0, 10, 0, 10, 10, 0)  # the first full match, error free
    assert as_tuple(match) == naive("ACGTACGTAC", "N" * 30, read_wildcards=True)


def test_read_shorter_than_the_adapter_matches_partially():
    # a 3' adapter cut off by the read end
    assert locate("AGATCGGAAGAGC", "TTTTAGATCGG") == AdapterMatch(0, 7, 4, 11, 7, 0)
    # the whole read is a prefix of the adapter
    assert locate("AGATCGGAAGAGC", "AGATC") == AdapterMatch(0, 5, 0, 5, 5, 0)


def test_anchored_adapter_longer_than_the_read_does_not_match():
    for indels in (True, False):
        assert locate("FRONTADAPT", "FRONTADA", "anchored_front", indels=indels, adapter_wildcards=False) is None
        assert locate("BACKADAPTER", "KADAPTER", "anchored_back", indels=indels, adapter_wildcards=False) is None


def test_anchored_adapters_without_indels_count_mismatches_only():
    assert locate("TTAGACATAT", "TAAGACATATGAGG", "anchored_front", indels=False) == AdapterMatch(0, 10, 0, 10, 8, 1)
    assert locate("TTAGACATAT", "TAAGACGTATGAGG", "anchored_front", indels=False) is None  # 2 > int(0.1 * 10)
    assert locate("TTAGACATAT", "ATTAGACATATGAGG", "anchored_front", indels=False) is None  # a shift is no indel


def test_minimum_overlap():
    assert locate("CATATCTCCG", "GAGACCATTCCAATGCATATCT", rate=0, min_overlap=7) == AdapterMatch(0, 7, 15, 22, 7, 0)
    assert locate("CATATCTCCG", "GAGACCATTCCAATGCATATC", rate=0, min_overlap=7) is None


def test_iupac_wildcards_in_the_adapter():
    assert locate("ACGTNNNACGT", "TTTACGTAAAACGTTT", rate=0) == AdapterMatch(0, 11, 3, 14, 11, 0)
    assert locate("ACGTNNNACGT", "TTTACGTAAAACGTTT", rate=0, adapter_wildcards=False) is None
    assert locate("ACGRACGT", "ACGGACGT", rate=0) == AdapterMatch(0, 8, 0, 8, 8, 0)  # R = A or G
    assert locate("ACGRACGT", "ACGTACGT", rate=0) is None


def test_wildcard_n_counts_neither_as_error_nor_in_the_error_rate():
    # 2 Ns: the 12-base adapter counts as 10 bases, so one error (10%) is still allowed
    assert locate("ACGTNNACGTAC", "ACGTGGACCTAC") == AdapterMatch(0, 12, 0, 12, 10, 1)


def test_literal_n_in_adapter_and_read():
    assert locate("NNNNNNNNNN", "ACGTNNNNNNNNNN", rate=0, adapter_wildcards=False) == AdapterMatch(0, 10, 4, 14, 10, 0)


def test_adapter_longer_than_the_bit_vectors_still_matches():
    adapter = "ACGTTGCA" * 10  # 80 bases: no bit-parallel shortcut
    read = "TTTTT" + adapter[:70]
    assert as_tuple(locate(adapter, read)) == naive(adapter, read) == (0, 70, 5, 75, 70, 0)


# Matches chosen by cutadapt 4.2's own aligner where equally plausible alternatives exist
# (high error rates let several overlaps qualify; which one wins depends on its rules).
CUTADAPT_CHOICES = [
    (dict(adapter="GAT", read="taggcatag", kind="noninternal_back", rate=2 / 3, min_overlap=1), (0, 1, 8, 9, 1, 0)),
    (dict(adapter="ACCCCCAACCC", read="GGNCGAACCCC", rate=0.5, min_overlap=4, read_wildcards=True), (0, 5, 6, 11, 5, 0)),
    (dict(adapter="AAAAA", read="CTCGGCGGGGCGTTGANGTTAAGTAAA", rate=0.5), (0, 3, 24, 27, 3, 0)),
    (dict(adapter="CACTANTNACATC", read="CACTCGCGGCGGTAAG", rate=0.5, min_overlap=5), (0, 8, 9, 16, 1, 3)),
    (dict(adapter="GAAGCAGTATTTTGCTGAGAATTATCCGTCAGTCTTAT",
          read="TNGNGAGATCGGAAGCAGTATTTTGCTGAGATTATCCGTCAGTCTTATGAATGTTNAACTGATANTTCCGATCCGGCCNAAGACACTTNTGACTCTTC"
               "TTTCATCNACGTTGGCTTT", kind="noninternal_back", rate=0.5, min_overlap=4), (0, 12, 105, 117, 0, 6)),
    (dict(adapter="GCATAAGCA", read="GGGCAA", kind="anywhere", rate=0.5, min_overlap=1, adapter_wildcards=False),
     (0, 5, 2, 6, 2, 1)),
]


@pytest.mark.parametrize("case, expected", CUTADAPT_CHOICES)
def test_ties_are_broken_as_cutadapt_does(case, expected):
    assert as_tuple(locate(**case)) == expected
    assert naive(**case) == expected


@pytest.mark.parametrize("length", [62, 63, 64])
def test_bit_vectors_at_their_width(length):
    rng = np.random.default_rng(length)
    adapter = "".join(rng.choice(list("ACGT"), length))
    for read in ("TTGCA" + adapter[:20] + "G" + adapter[20:50], "ACGTACGTAC" + adapter + "TTT", adapter[:30]):
        assert as_tuple(locate(adapter, read)) == naive(adapter, read) == as_tuple(locate(adapter, read,
                                                                                          bit_parallel=False))


def test_table_rejects_bad_adapters():
    with pytest.raises(ValueError, match="empty"):
        adapter_table([AdapterParameters(b"", "back", 0.1)])
    with pytest.raises(ValueError, match="unknown adapter kind"):
        adapter_table([AdapterParameters(b"ACGT", "middle", 0.1)])
    with pytest.raises(ValueError, match="N wildcards only"):
        adapter_table([AdapterParameters(b"NNNN", "back", 0.1, adapter_wildcards=True)])


@st.composite
def alignment_cases(draw, min_adapter=1, max_adapter=16):
    alphabet = draw(st.sampled_from(["ACGT", "AC", "ACGTN", "ACGTRYN", "A"]))
    adapter = draw(st.text(alphabet=alphabet, min_size=min_adapter, max_size=max_adapter))
    assume(adapter.strip("N"))
    pieces = [draw(st.text(alphabet="ACGTN", max_size=12))]
    for _ in range(draw(st.integers(0, 2))):
        copy = list(adapter)
        for _ in range(draw(st.integers(0, 3))):  # substitutions, insertions, deletions
            position = draw(st.integers(0, len(copy)))
            operation = draw(st.sampled_from(["substitute", "insert", "delete"]))
            if operation == "insert":
                copy.insert(position, draw(st.sampled_from("ACGT")))
            elif copy and position < len(copy):
                if operation == "substitute":
                    copy[position] = draw(st.sampled_from("ACGTN"))
                else:
                    del copy[position]
        start, stop = sorted(draw(st.tuples(st.integers(0, len(copy)), st.integers(0, len(copy)))))
        pieces += ["".join(copy[start:] if draw(st.booleans()) else copy[:stop]), draw(st.text("ACGT", max_size=8))]
    read = "".join(pieces)
    if draw(st.booleans()):
        read = read.lower()
    return dict(adapter=adapter, read=read, kind=draw(st.sampled_from(KINDS)),
                rate=draw(st.sampled_from([0.0, 0.1, 0.2, 0.34, 0.5, 2 / 3, 1.0])),
                min_overlap=draw(st.integers(1, 5)),
                indels=draw(st.booleans()), adapter_wildcards=draw(st.booleans()), read_wildcards=draw(st.booleans()))


@settings(max_examples=400, deadline=None)
@given(alignment_cases())
def test_kernel_matches_naive_alignment(case):
    assert as_tuple(locate(**case)) == naive(**case)


@settings(max_examples=200, deadline=None)
@given(alignment_cases(), st.integers(0, 120))
def test_bit_parallel_shortcut_changes_nothing(case, padding):
    rng = np.random.default_rng(padding)
    case["read"] = "".join(rng.choice(list("ACGT"), padding)) + case["read"]  # long reads: late starts matter
    assert locate(**case) == locate(**case, bit_parallel=False)


@settings(max_examples=200, deadline=None)
@given(alignment_cases(min_adapter=12, max_adapter=40), st.integers(0, 120))
def test_whole_adapter_piece_filter_changes_nothing(case, padding):
    # Long adapters with up to three edits far into long reads: where Shift-And finds no
    # exact piece, the bit-parallel pass starts near the read's end (see
    # `_start_without_whole_adapter`); the result must not change.
    rng = np.random.default_rng(padding)
    case["read"] = "".join(rng.choice(list("ACGT"), padding)) + case["read"]
    assert as_tuple(locate(**case)) == naive(**case)


@st.composite
def whole_adapters_with_edits(draw):
    """A 3' adapter of 20-40 bases with as many edits as its error rate allows, spread
    over the adapter, inside a read with random bases before it and, or not, after it."""
    adapter = draw(st.text(alphabet="ACGT", min_size=20, max_size=40))
    rate = draw(st.sampled_from([0.0, 0.05, 0.1, 0.15]))
    edits = int(len(adapter) * rate)
    copy = list(adapter)
    for number in range(edits):  # one edit in each stretch of the adapter
        position = min(len(copy) - 1, (number * len(copy)) // max(edits, 1) + draw(st.integers(0, 3)))
        operation = draw(st.sampled_from(["substitute", "insert", "delete"]))
        if operation == "insert":
            copy.insert(position, draw(st.sampled_from("ACGT")))
        elif operation == "substitute":
            copy[position] = "ACGT"[("ACGT".index(copy[position]) + 1) % 4]
        else:
            del copy[position]
    before = draw(st.text(alphabet="ACGT", max_size=80))
    after = draw(st.text(alphabet="ACGT", max_size=40))
    if draw(st.booleans()):  # the read ends inside the adapter: a prefix at the read's end
        copy = copy[: len(copy) - draw(st.integers(1, 4))]
        after = ""
    return dict(adapter=adapter, read=before + "".join(copy) + after, rate=rate)


@settings(max_examples=300, deadline=None)
@given(whole_adapters_with_edits())
def test_whole_adapters_with_every_allowed_edit_are_found(case):
    assert as_tuple(locate(**case)) == naive(**case)
