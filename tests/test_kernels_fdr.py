"""Target-decoy q-values and parsimony against hand-computed cases and tests/naive_search.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.fdr import best_per_key, competition_q_values, parsimonious_proteins, picked_q_values, q_values
from tests.naive_search import naive_best_per_key, naive_parsimony, naive_picked, naive_q_values


def test_hand_computed_q_values():
    scores = [10.0, 9.0, 8.0, 7.0, 6.0, 5.0]
    decoy = [False, False, True, False, False, True]
    # Thresholds from the top: T, D = (1,0) (2,0) (2,1) (3,1) (4,1) (4,2)
    # FDR (D+1)/T:      1, 0.5, 1, 2/3, 0.5, 0.75; running minimum from the bottom up:
    assert q_values(scores, decoy).tolist() == pytest.approx([0.5, 0.5, 0.5, 0.5, 0.5, 0.75])
    # D/T: 0, 0, 0.5, 1/3, 0.25, 0.5 -> 0, 0, 0.25, 0.25, 0.25, 0.5
    assert q_values(scores, decoy, add_one=False).tolist() == pytest.approx([0, 0, 0.25, 0.25, 0.25, 0.5])


def test_ties_share_a_threshold():
    # The decoy tied with the best target counts at the top threshold: FDR 1/1 there, 1/2
    # at the next, and the running minimum gives 0.5 to all.
    assert q_values([5.0, 5.0, 1.0], [False, True, False], add_one=False).tolist() == [0.5, 0.5, 0.5]
    assert q_values([], []).size == 0
    assert q_values([3.0], [True]).tolist() == [1.0]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        q_values([np.nan], [False])
    with pytest.raises(ValueError, match="one length"):
        q_values([1.0, 2.0], [False])
    with pytest.raises(ValueError, match="no protein"):
        parsimonious_proteins({"PEPK": []})


def test_competition_keeps_the_best_per_spectrum():
    spectra = ["s1", "s1", "s2", "s3", "s3"]
    scores = [5.0, 7.0, 6.0, 2.0, 2.0]
    decoy = [False, True, False, False, True]
    kept, q = competition_q_values(spectra, scores, decoy, add_one=False)
    assert kept.tolist() == [1, 2, 3]  # s3: the first of the tied PSMs
    # Sorted: s1 decoy 7, s2 target 6, s3 target 2 -> FDR D/T = 1/1 (no target: /1), 1/1, 1/2
    assert q.tolist() == [0.5, 0.5, 0.5]


def test_hand_computed_parsimony():
    proteins = {
        "AAK": {"P1", "P2"},
        "CCK": {"P2"},
        "DDK": {"P2", "P3"},
        "EEK": {"P3"},
        "FFK": {"P4", "P5"},
    }
    assert parsimonious_proteins(proteins) == {"P2": ["AAK", "CCK", "DDK"], "P3": ["EEK"], "P4": ["FFK"]}
    assert parsimonious_proteins({}) == {}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12).map(float), st.booleans()), max_size=40),
    st.booleans(),
)
def test_q_values_equal_naive_and_are_monotone(psms, add_one):
    scores = [score for score, _ in psms]
    decoy = [flag for _, flag in psms]
    q = q_values(scores, decoy, add_one)
    assert q.tolist() == naive_q_values(scores, decoy, add_one)
    order = np.argsort(-np.array(scores), kind="mergesort")
    assert (np.diff(q[order]) >= 0).all()
    assert ((q >= 0) & (q <= 1)).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 5).map(float)), max_size=30))
def test_best_per_key_equals_naive(entries):
    keys = [key for key, _ in entries]
    scores = [score for _, score in entries]
    assert best_per_key(keys, scores).tolist() == naive_best_per_key(keys, scores)
    assert best_per_key(np.array(keys, dtype=np.int64), scores).tolist() == naive_best_per_key(keys, scores)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text("ACDK", min_size=1, max_size=4),
        st.sets(st.sampled_from(["P1", "P2", "P3", "P4", "P5", "P6"]), min_size=1),
        max_size=12,
    )
)
def test_parsimony_equals_naive_and_covers(peptide_proteins):
    chosen = parsimonious_proteins(peptide_proteins)
    assert chosen == naive_parsimony(peptide_proteins)
    explained = [peptide for peptides in chosen.values() for peptide in peptides]
    assert sorted(explained) == sorted(peptide_proteins)  # each peptide exactly once
    for protein, peptides in chosen.items():
        assert all(protein in peptide_proteins[peptide] for peptide in peptides)


def test_hand_computed_picked_competition():
    pairs = ["P1", "P1", "P2", "P2", "P3", "P4", "P4"]
    scores = [9.0, 3.0, 4.0, 6.0, 8.0, 5.0, 5.0]
    decoy = [False, True, False, True, False, False, True]
    kept, q = picked_q_values(pairs, scores, decoy, add_one=False)
    # P1: the target; P2: its decoy outscores it; P3: a target alone; P4: the decoy on a tie.
    assert kept.tolist() == [0, 3, 4, 6]
    # By score: T9 T8 D6 D5 -> D/T: 0, 0, 1/2, 2/2, already non-decreasing; in kept order:
    assert q.tolist() == [0.0, 0.5, 0.0, 1.0]
    with pytest.raises(ValueError, match="one length"):
        picked_q_values(["P1"], [1.0, 2.0], [False, True])
    with pytest.raises(ValueError, match="NaN"):
        picked_q_values(["P1"], [np.nan], [False])
    assert picked_q_values([], [], [])[0].size == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 6).map(float), st.booleans()), max_size=40), st.booleans())
def test_picked_competition_equals_naive(entries, add_one):
    pairs = [pair for pair, _, _ in entries]
    scores = [score for _, score, _ in entries]
    decoy = [flag for _, _, flag in entries]
    kept, q = picked_q_values(pairs, scores, decoy, add_one)
    expected = naive_picked(pairs, scores, decoy)
    assert kept.tolist() == expected
    assert q.tolist() == naive_q_values([scores[i] for i in expected], [decoy[i] for i in expected], add_one)
    assert picked_q_values(np.array(pairs, dtype=np.int64), scores, decoy, add_one)[0].tolist() == expected


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text("ACDEK", min_size=1, max_size=5),
        st.sets(st.sampled_from([f"P{n}" for n in range(30)]), min_size=1, max_size=6),
        max_size=60,
    )
)
def test_parsimony_equals_naive_on_larger_databases(peptide_proteins):
    assert parsimonious_proteins(peptide_proteins) == naive_parsimony(peptide_proteins)
