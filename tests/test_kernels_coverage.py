"""The coverage kernels against a slow per-base reference, edge cases and Hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.coverage import coverage_summary, per_base_depth

M, I, D, N, S, H, P, EQ, X = range(9)


def naive_depth(reference_length, alignments, count_deletions=False):
    """Walk every CIGAR base by base; alignments are (start, [(operation, length)])."""
    depth = [0] * reference_length
    for start, cigar in alignments:
        position = start
        for operation, length in cigar:
            for _ in range(length):
                if operation in (M, EQ, X) or (operation == D and count_deletions):
                    if 0 <= position < reference_length:
                        depth[position] += 1
                if operation in (M, EQ, X, D, N):
                    position += 1
    return depth


def naive_summary(depth, thresholds):
    positions = len(depth)
    return {
        "positions": positions,
        "total_depth": sum(depth),
        "mean_depth": sum(depth) / positions if positions else 0.0,
        "breadth": {t: (sum(1 for d in depth if d >= t) / positions if positions else 0.0) for t in thresholds},
    }


def flattened(alignments):
    starts = [start for start, _ in alignments]
    offsets = np.cumsum([0] + [len(cigar) for _, cigar in alignments])
    operations = [operation for _, cigar in alignments for operation, _ in cigar]
    lengths = [length for _, cigar in alignments for _, length in cigar]
    return starts, offsets, operations, lengths


def kernel_depth(reference_length, alignments, count_deletions=False):
    return per_base_depth(reference_length, *flattened(alignments), count_deletions=count_deletions).tolist()


@pytest.mark.parametrize(
    "reference_length, alignments, expected, expected_with_deletions",
    [
        (0, [], [], []),
        (5, [], [0] * 5, [0] * 5),
        (5, [(0, [(M, 5)])], [1] * 5, [1] * 5),
        (6, [(1, [(S, 3), (M, 2), (D, 1), (M, 1), (S, 2)])], [0, 1, 1, 0, 1, 0], [0, 1, 1, 1, 1, 0]),
        (6, [(0, [(H, 2), (EQ, 1), (X, 1), (I, 4), (M, 1), (N, 2), (M, 1)])], [1, 1, 1, 0, 0, 1], [1, 1, 1, 0, 0, 1]),
        (4, [(2, [(M, 5)])], [0, 0, 1, 1], [0, 0, 1, 1]),  # runs off the end: clipped
        (4, [(-2, [(M, 3)])], [1, 0, 0, 0], [1, 0, 0, 0]),  # starts before the reference
        (3, [(0, [(M, 2)]), (1, [(M, 2)]), (0, [(P, 3), (M, 0)])], [1, 2, 1], [1, 2, 1]),
        (3, [(3, [(M, 2)])], [0, 0, 0], [0, 0, 0]),
    ],
)
def test_depth_edge_cases(reference_length, alignments, expected, expected_with_deletions):
    assert kernel_depth(reference_length, alignments) == expected
    assert naive_depth(reference_length, alignments) == expected
    assert kernel_depth(reference_length, alignments, True) == expected_with_deletions
    assert naive_depth(reference_length, alignments, True) == expected_with_deletions


operation_lengths = st.tuples(st.integers(0, 8), st.integers(0, 12))
alignment = st.tuples(st.integers(-20, 120), st.lists(operation_lengths, max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 100), st.lists(alignment, max_size=30), st.booleans())
def test_depth_equals_the_naive_walk(reference_length, alignments, count_deletions):
    assert kernel_depth(reference_length, alignments, count_deletions) == naive_depth(
        reference_length, alignments, count_deletions
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=200), st.lists(st.integers(0, 50), min_size=1, max_size=4))
def test_summary_equals_the_naive_summary(depth, thresholds):
    summary = coverage_summary(np.array(depth, dtype=np.int32), thresholds)
    expected = naive_summary(depth, thresholds)
    assert summary["positions"] == expected["positions"]
    assert summary["total_depth"] == expected["total_depth"]
    assert summary["mean_depth"] == pytest.approx(expected["mean_depth"])
    assert summary["breadth"] == pytest.approx(expected["breadth"])


def test_summary_of_an_empty_reference_is_zero():
    assert coverage_summary(np.zeros(0, dtype=np.int32)) == {
        "positions": 0, "total_depth": 0, "mean_depth": 0.0, "breadth": {1: 0.0, 10: 0.0, 30: 0.0},
    }  # fmt: skip


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((-1, [], [0], [], []), "not be negative"),
        ((5, [0], [0], [], []), "one entry more"),
        ((5, [0], [0, 2], [0], [1]), "rise from 0"),
        ((5, [0], [0, 1], [0], [1, 2]), "same length"),
        ((5, [0], [0, 1], [9], [1]), "BAM codes"),
        ((5, [0], [0, 1], [0], [-1]), "BAM codes"),
    ],
)
def test_bad_arrays_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        per_base_depth(*arguments)
