"""Quality, NextSeq and poly-G trimming kernels against the naive references."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.quality_trim import nextseq_trim_index, poly_g_trim_index, quality_trim_index
from tests.naive_trimming import naive_nextseq_trim_index, naive_poly_g_trim_index, naive_quality_trim_index


def phred(*scores: int, base: int = 33) -> bytes:
    return bytes(score + base for score in scores)


@pytest.mark.parametrize(
    "qualities, front, back, expected",
    [
        (b"", 10, 10, (0, 0)),  # empty read
        (phred(40, 40, 40), 0, 10, (0, 3)),  # nothing below the cutoff
        (phred(40, 40, 2, 2), 0, 10, (0, 2)),
        (phred(2, 2, 40, 40), 10, 0, (2, 4)),
        (phred(2, 2, 40, 40, 2), 10, 10, (2, 4)),
        (phred(0, 0, 0), 0, 10, (0, 0)),  # quality 0 throughout: all removed
        (phred(93, 93, 93), 0, 93, (0, 3)),  # quality 93 equals the cutoff: the sum never rises above 0
        (phred(93, 93, 93), 0, 94, (0, 0)),
        (phred(40, 5, 40, 5, 5), 0, 10, (0, 3)),  # the good base ends the scan: 40 drives the sum negative
        (phred(40, 9, 9, 9, 9, 9), 0, 10, (0, 1)),
        (phred(5, 40, 5), 10, 10, (1, 2)),
        (phred(5, 5), 10, 10, (0, 0)),  # the two cuts cross
    ],
)
def test_quality_trim_edge_cases(qualities, front, back, expected):
    assert quality_trim_index(qualities, front, back) == expected
    assert naive_quality_trim_index(qualities, front, back) == expected


def test_quality_base_64_and_scores_below_the_base():
    assert quality_trim_index(phred(40, 2, base=64), 0, 10, base=64) == (0, 1)
    # '!' read as Phred+64 is a negative score; it is trimmed like a very low one
    assert quality_trim_index(b"hh!!", 0, 10, base=64) == (0, 2)


@pytest.mark.parametrize(
    "sequence, qualities, cutoff, expected",
    [
        (b"", b"", 20, 0),
        (b"ACGTGGGG", phred(30, 30, 30, 30, 40, 40, 40, 40), 20, 4),  # high-quality G tail goes
        (b"ACGTGGGA", phred(30, 30, 30, 30, 40, 40, 40, 40), 20, 8),  # a good A at the end stops it
        (b"GGGG", phred(40, 40, 40, 40), 20, 0),
        (b"ACGT", phred(2, 2, 2, 2), 20, 0),
        (b"ggGG", phred(40, 40, 40, 40), 20, 2),  # only upper-case G counts as a dark cycle
    ],
)
def test_nextseq_edge_cases(sequence, qualities, cutoff, expected):
    assert nextseq_trim_index(sequence, qualities, cutoff) == expected
    assert naive_nextseq_trim_index(sequence, qualities, cutoff) == expected


def test_nextseq_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        nextseq_trim_index(b"ACGT", b"II", 20)


@pytest.mark.parametrize(
    "sequence, min_length, expected",
    [
        (b"", 10, 0),
        (b"ACGT" + b"G" * 12, 10, 2),  # the T is one tolerated mismatch, so the G before it goes too
        (b"ACGT" + b"G" * 9, 10, 2),  # 9 G + T + G: ten bases examined before giving up
        (b"ACGTA" + b"G" * 12, 10, 5),  # the A before the run is kept: the cut is at the leftmost G seen
        (b"G" * 20, 10, 0),
        (b"N" * 20, 10, 20),  # all-N: nothing to trim
        (b"ACGTACGT" + b"GGGGAGGGGGGG", 10, 8),  # one mismatch per 8 bases is tolerated
        (b"ACGTACGT" + b"GGAGAGGGGGGG", 10, 20),  # a second mismatch within 10 bases: no tail
        (b"ggggggggggggggg", 10, 15),  # lower case is not poly-G (as in fastp)
    ],
)
def test_poly_g_edge_cases(sequence, min_length, expected):
    assert naive_poly_g_trim_index(sequence, min_length) == expected
    assert poly_g_trim_index(sequence, min_length) == expected


def test_poly_g_rejects_a_zero_minimum():
    with pytest.raises(ValueError, match="at least 1"):
        poly_g_trim_index(b"GGGG", 0)


scores = st.lists(st.integers(0, 45), max_size=80)


@settings(max_examples=300, deadline=None)
@given(scores, st.integers(0, 45), st.integers(0, 45), st.sampled_from([33, 64]))
def test_quality_trim_matches_naive(values, front, back, base):
    qualities = bytes(value + base for value in values)
    assert quality_trim_index(qualities, front, back, base) == naive_quality_trim_index(qualities, front, back, base)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(b"ACGTNg"), st.integers(0, 45)), max_size=80), st.integers(0, 45))
def test_nextseq_matches_naive(pairs, cutoff):
    sequence = bytes(letter for letter, _ in pairs)
    qualities = bytes(score + 33 for _, score in pairs)
    assert nextseq_trim_index(sequence, qualities, cutoff) == naive_nextseq_trim_index(sequence, qualities, cutoff)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ACGTG", max_size=40).map(str.encode), st.integers(0, 40), st.integers(1, 15))
def test_poly_g_matches_naive(prefix, g_run, min_length):
    sequence = prefix + b"G" * g_run
    assert poly_g_trim_index(sequence, min_length) == naive_poly_g_trim_index(sequence, min_length)
