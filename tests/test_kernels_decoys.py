"""Decoy peptides against the naive reference in tests/naive_proteomics.py."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.decoys import (
    DECOY_TAG,
    SHUFFLE_ATTEMPTS,
    decoy_sequences,
    reversed_decoy,
    shuffled_decoy,
    tag_decoy_accession,
    target_decoy_peptides,
)
from kernels.peptide_mass import peptide_neutral_masses
from tests.naive_proteomics import naive_reversed, naive_shuffled

STANDARD = "ACDEFGHIKLMNPQRSTVWY"
peptides = st.text(alphabet=STANDARD, max_size=40)
seeds = st.integers(0, 2**64 - 1)


def test_reversed_keeps_the_c_terminal_residue():
    assert reversed_decoy("PEPTIDEK") == "EDITPEPK"
    assert reversed_decoy("LQSRPAAPPAPGPGQLTLR") == "LTLQGPGPAPPAAPRSQLR"
    assert reversed_decoy("") == ""
    assert reversed_decoy("K") == "K"
    assert reversed_decoy("AK") == "AK"
    assert decoy_sequences(["PEPTIDEK", "", "AK", "ACDK"]) == ["EDITPEPK", "", "AK", "DCAK"]


def test_shuffled_is_reproducible_and_depends_on_the_seed():
    assert shuffled_decoy("LQSRPAAPPAPGPGQLTLR", 7) == shuffled_decoy("LQSRPAAPPAPGPGQLTLR", 7)
    assert len({shuffled_decoy("LQSRPAAPPAPGPGQLTLR", seed) for seed in range(20)}) > 10
    # A peptide's decoy does not depend on its neighbours in the batch.
    alone = decoy_sequences(["PEPTIDEK"], "shuffle", 3)
    together = decoy_sequences(["AAAK", "PEPTIDEK", "LLLR"], "shuffle", 3)
    assert together[1] == alone[0]


def test_shuffle_that_cannot_differ_is_kept():
    assert shuffled_decoy("AAAAK", 1) == "AAAAK"
    assert shuffled_decoy("AK", 1) == "AK"
    assert shuffled_decoy("", 1) == ""


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown decoy method"):
        decoy_sequences(["PEPK"], "scramble")


def test_targets_and_decoys_are_tagged_and_collisions_dropped():
    # EDITPEPK is PEPTIDEK's reversed decoy and a target too: neither decoy is kept.
    result = target_decoy_peptides(["PEPTIDEK", "AAAK", "PEPTIDEK", "EDITPEPK", "ACDK"])
    assert result.sequences == ["PEPTIDEK", "AAAK", "EDITPEPK", "ACDK", "DCAK"]
    assert result.is_decoy.tolist() == [False, False, False, False, True]
    assert result.source.tolist() == [0, 1, 2, 3, 3]
    assert (
        tag_decoy_accession("sp|Q99536|VAT1_HUMAN") == DECOY_TAG + "sp|Q99536|VAT1_HUMAN" == "rev_sp|Q99536|VAT1_HUMAN"
    )


@settings(max_examples=300, deadline=None)
@given(batch=st.lists(peptides, max_size=20))
def test_reversed_equals_naive(batch):
    assert decoy_sequences(batch, "reverse") == [naive_reversed(peptide) for peptide in batch]


@settings(max_examples=300, deadline=None)
@given(batch=st.lists(peptides, max_size=20), seed=seeds)
def test_shuffled_equals_naive(batch, seed):
    decoys = decoy_sequences(batch, "shuffle", seed)
    assert decoys == [naive_shuffled(peptide, seed, SHUFFLE_ATTEMPTS) for peptide in batch]
    for peptide, decoy in zip(batch, decoys):
        assert Counter(decoy) == Counter(peptide)
        assert decoy[-1:] == peptide[-1:]
        if len(set(peptide[:-1])) >= 4:  # all ten draws giving the target: < 1e-13
            assert decoy != peptide


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(peptides.filter(bool), max_size=20), method=st.sampled_from(["reverse", "shuffle"]), seed=seeds)
def test_decoy_masses_equal_target_masses_exactly(batch, method, seed):
    result = target_decoy_peptides(batch, method, seed)
    masses = peptide_neutral_masses(result.sequences)
    for index, source in enumerate(result.source.tolist()):
        assert masses[index] == masses[source]  # same composition, same bits
    targets = list(dict.fromkeys(batch))
    assert result.sequences[: len(targets)] == targets
    decoys = result.sequences[len(targets) :]
    assert len(set(decoys)) == len(decoys) and not set(decoys) & set(targets)
    assert result.is_decoy.sum() == len(decoys)
