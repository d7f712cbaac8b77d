"""Digestion against the naive reference in tests/naive_proteomics.py and against
pyteomics' cleavage rules (`pyteomics.parser.icleave`/`cleave`)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyteomics import parser

from kernels.digestion import (
    ENZYMES,
    CleavageClause,
    Enzyme,
    cleavage_sites,
    digest_positions,
    digest_protein,
    digest_proteins,
    starts_protein,
)
from tests.naive_proteomics import naive_boundaries, naive_digest

STANDARD = "ACDEFGHIKLMNPQRSTVWY"
# Rich in the residues the rules look at, so that sites, exceptions and runs occur often.
ALPHABET = STANDARD + "KRPDEFYWMKRPKR"
UNKNOWN = "XBZUOJ"  # pyteomics' \w does not match '*', so '*' is tested against naive only

# The pyteomics rule each enzyme equals (see kernels/digestion.py), as a regex.
PYTEOMICS_RULES = {
    "trypsin": parser.psims_rules["Trypsin"],
    "trypsin/p": parser.psims_rules["Trypsin/P"],
    "lys-c": parser.psims_rules["Lys-C"],
    "lys-n": r"\w(?=K)",
    "arg-c": parser.psims_rules["Arg-C"],
    "asp-n": parser.expasy_rules["asp-n"],
    "glu-c": parser.expasy_rules["glutamyl endopeptidase"],
    "chymotrypsin": parser.expasy_rules["chymotrypsin high specificity"],
}


def pairs(positions: np.ndarray) -> set[tuple[int, int]]:
    return {(int(start), int(end)) for start, end in positions}


def sequences(protein: str, **settings_) -> list[str]:
    return [protein[s:e] for s, e in digest_positions(protein, **settings_).tolist()]


# ---- edge cases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enzyme", "protein", "sites"),
    [
        ("trypsin", "AKARAKPARPA", [2, 4]),
        ("trypsin/p", "AKARAKPARPA", [2, 4, 6, 9]),
        ("lys-c", "AKARAKPAKA", [2, 9]),
        ("lys-n", "AKAKKA", [1, 3, 4]),
        ("arg-c", "ARAKARPARA", [2, 9]),
        ("asp-n", "DADADDA", [2, 4, 5]),
        ("glu-c", "AEAEPEEA", [2, 4, 6, 7]),
        ("chymotrypsin", "AFAFPAYAWAWMAWPA", [2, 7, 9]),
    ],
)
def test_each_enzyme_cuts_where_its_rule_says(enzyme, protein, sites):
    assert cleavage_sites(protein, enzyme).tolist() == [0, *sites, len(protein)]
    assert pairs(
        digest_positions(protein, enzyme, missed_cleavages=0, min_length=1, clip_n_term_met=False)
    ) == pyteomics_pairs(protein, enzyme, 0, 1, 50, False)


def test_empty_protein_has_no_peptides():
    assert digest_positions("", min_length=1).shape == (0, 2)
    assert cleavage_sites("").tolist() == [0]
    assert digest_proteins(["", ""], min_length=1).shape == (0, 3)


def test_protein_of_one_residue():
    assert sequences("K", min_length=1) == ["K"]
    assert sequences("K", min_length=2) == []
    # The clipped protein of "M" is empty: only "M" itself.
    assert sequences("M", min_length=1) == ["M"]
    assert sequences("X", min_length=1) == []


def test_all_lysine_with_missed_cleavages_0_to_3():
    for missed in range(4):
        found = sequences("KKKKKK", missed_cleavages=missed, min_length=1, max_length=50)
        assert set(found) == {"K" * (k + 1) for k in range(missed + 1)}
        assert len(found) == sum(6 - k for k in range(missed + 1))


def test_missed_cleavages_0_to_3_on_a_small_protein():
    protein = "AAKBBRCCKDDR"  # sites after 3, 6, 9
    expected = {
        0: {"AAK", "BBR", "CCK", "DDR"},
        1: {"AAKBBR", "BBRCCK", "CCKDDR"},
        2: {"AAKBBRCCK", "BBRCCKDDR"},
        3: {"AAKBBRCCKDDR"},
    }
    for missed in range(4):
        found = set(sequences(protein, missed_cleavages=missed, min_length=1, clip_n_term_met=False))
        wanted = set().union(*(expected[k] for k in range(missed + 1)))
        assert found == {p for p in wanted if "B" not in p}  # B is not a standard residue


def test_no_trypsin_cut_before_proline_but_trypsin_p_cuts():
    protein = "AKPAKPRPAK"
    assert cleavage_sites(protein, "trypsin").tolist() == [0, 10]
    assert cleavage_sites(protein, "trypsin/p").tolist() == [0, 2, 5, 7, 10]
    assert sequences(protein, enzyme="trypsin/p", missed_cleavages=0, min_length=1) == ["AK", "PAK", "PR", "PAK"]
    assert sequences("KPKPKP", missed_cleavages=0, min_length=1) == ["KPKPKP"]


def test_lengths_at_the_bounds():
    protein = "AAAAK" + "CCCCCCK" + "DDDDDDDDK"  # 5, 7, 9 residues
    found = sequences(protein, missed_cleavages=0, min_length=5, max_length=9)
    assert found == ["AAAAK", "CCCCCCK", "DDDDDDDDK"]
    assert sequences(protein, missed_cleavages=0, min_length=6, max_length=8) == ["CCCCCCK"]
    assert sequences(protein, missed_cleavages=0, min_length=7, max_length=7) == ["CCCCCCK"]


def test_peptides_with_unknown_letters_are_skipped_without_moving_sites():
    protein = "AAXAKCCCCKDDBDK"
    found = sequences(protein, missed_cleavages=1, min_length=1)
    assert found == ["CCCCK"]
    # X after K is not P: trypsin cuts there, and the sites are those of letters only.
    assert cleavage_sites("AKXAKPA").tolist() == [0, 2, 7]
    assert digest_protein("aakcck", min_length=1) == ["AAK", "AAKCCK", "CCK"]


def test_initiator_methionine_gives_peptides_with_and_without_it():
    found = digest_protein("MAEGKLLR", missed_cleavages=0, min_length=1)
    assert found == ["MAEGK", "AEGK", "LLR"]
    assert digest_protein("MAEGKLLR", missed_cleavages=0, min_length=1, clip_n_term_met=False) == ["MAEGK", "LLR"]
    # The clipped peptide counts its own length: MAEGK is too long, AEGK is not.
    assert digest_protein("MAEGKLLR", missed_cleavages=0, min_length=1, max_length=4) == ["AEGK", "LLR"]
    # Missed cleavages are counted as in the protein without M.
    assert digest_protein("MAKLLR", missed_cleavages=1, min_length=1) == ["MAK", "MAKLLR", "AK", "AKLLR", "LLR"]
    positions = digest_positions("MAEGKLLR", missed_cleavages=0, min_length=1)
    assert starts_protein(positions, "MAEGKLLR").tolist() == [True, True, False]
    assert starts_protein(positions, "MAEGKLLR", clip_n_term_met=False).tolist() == [True, False, False]


def test_semi_specific_includes_prefixes_and_suffixes_of_long_specific_peptides():
    protein = "AAAAAAAAAAK" + "CCCK"
    found = set(sequences(protein, missed_cleavages=0, min_length=3, max_length=5, semi_specific=True))
    assert {"AAA", "AAAA", "AAAAA", "AAK", "AAAK", "AAAAK", "CCCK", "CCC", "CCK"} <= found
    assert "AAAAAAAAAAK" not in found


def test_settings_are_checked():
    with pytest.raises(ValueError, match="unknown enzyme"):
        digest_positions("AAK", "pepsin")
    with pytest.raises(ValueError, match="missed_cleavages"):
        digest_positions("AAK", missed_cleavages=-1)
    with pytest.raises(ValueError, match="min_length"):
        digest_positions("AAK", min_length=0)
    with pytest.raises(ValueError, match="min_length"):
        digest_positions("AAK", min_length=6, max_length=5)


def test_custom_enzyme_from_a_clause_table():
    sage_style = Enzyme("kr-not-p", (CleavageClause("KR", not_after="P"),))
    assert (sage_style.site_table() == ENZYMES["trypsin"].site_table()).all()
    assert digest_protein("AKRPK", sage_style, missed_cleavages=0, min_length=1) == ["AK", "RPK"]


def test_many_proteins_at_once_equal_one_at_a_time():
    proteins = ["MKAAKLLR", "", "AAXAKCCK", "M", "PEPTIDEKRPEPK"]
    rows = digest_proteins(proteins, min_length=1, missed_cleavages=2)
    for index, protein in enumerate(proteins):
        mine = rows[rows[:, 0] == index][:, 1:]
        assert mine.tolist() == digest_positions(protein, min_length=1, missed_cleavages=2).tolist()


# ---- properties against the naive reference --------------------------------------------

protein_texts = st.text(alphabet=ALPHABET + "XBZ*", max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    protein=protein_texts,
    enzyme=st.sampled_from(sorted(ENZYMES)),
    missed=st.integers(0, 3),
    min_length=st.integers(1, 8),
    extra=st.integers(0, 30),
    semi=st.booleans(),
    clip=st.booleans(),
)
def test_digestion_equals_naive(protein, enzyme, missed, min_length, extra, semi, clip):
    found = digest_positions(
        protein,
        enzyme,
        missed_cleavages=missed,
        min_length=min_length,
        max_length=min_length + extra,
        semi_specific=semi,
        clip_n_term_met=clip,
    )
    assert pairs(found) == naive_digest(protein, enzyme, missed, min_length, min_length + extra, semi, clip)
    keys = [tuple(row) for row in found.tolist()]
    assert keys == sorted(set(keys))


@settings(max_examples=200, deadline=None)
@given(protein=protein_texts, enzyme=st.sampled_from(sorted(ENZYMES)))
def test_cleavage_sites_equal_naive(protein, enzyme):
    assert cleavage_sites(protein, enzyme).tolist() == naive_boundaries(protein, enzyme)


# ---- differential tests against pyteomics ----------------------------------------------


def pyteomics_pairs(protein, enzyme, missed, min_length, max_length, semi):
    """pyteomics' (start, end) pairs, less those holding non-standard residues."""
    found = parser.icleave(
        protein, PYTEOMICS_RULES[enzyme], missed, min_length=min_length, max_length=max_length, semi=semi, regex=True
    )
    return {(start, start + len(peptide)) for start, peptide in found if set(peptide) <= set(STANDARD)}


@settings(max_examples=400, deadline=None)
@given(
    protein=st.text(alphabet=ALPHABET, min_size=1, max_size=120),
    enzyme=st.sampled_from(sorted(ENZYMES)),
    missed=st.integers(0, 3),
    min_length=st.integers(1, 8),
    max_length=st.integers(8, 40),
)
def test_specific_digestion_equals_pyteomics(protein, enzyme, missed, min_length, max_length):
    mine = digest_positions(
        protein, enzyme, missed_cleavages=missed, min_length=min_length, max_length=max_length, clip_n_term_met=False
    )
    assert pairs(mine) == pyteomics_pairs(protein, enzyme, missed, min_length, max_length, False)
    assert {protein[s:e] for s, e in pairs(mine)} == parser.cleave(
        protein, PYTEOMICS_RULES[enzyme], missed, min_length=min_length, max_length=max_length, regex=True
    )


@settings(max_examples=300, deadline=None)
@given(
    protein=st.text(alphabet=ALPHABET, min_size=1, max_size=80),
    enzyme=st.sampled_from(sorted(ENZYMES)),
    missed=st.integers(0, 3),
    min_length=st.integers(1, 8),
)
def test_semi_specific_digestion_equals_pyteomics_without_a_length_cap(protein, enzyme, missed, min_length):
    mine = digest_positions(
        protein,
        enzyme,
        missed_cleavages=missed,
        min_length=min_length,
        max_length=len(protein) + min_length,
        semi_specific=True,
        clip_n_term_met=False,
    )
    assert pairs(mine) == pyteomics_pairs(protein, enzyme, missed, min_length, None, True)


@settings(max_examples=200, deadline=None)
@given(
    protein=st.text(alphabet=ALPHABET, min_size=1, max_size=80),
    enzyme=st.sampled_from(sorted(ENZYMES)),
    missed=st.integers(0, 2),
    max_length=st.integers(4, 20),
)
def test_semi_specific_with_a_length_cap_is_a_superset_of_pyteomics(protein, enzyme, missed, max_length):
    """pyteomics derives semi-specific peptides only from specific peptides within the
    length bounds; a specific peptide too long to keep still has short prefixes here
    (Sage's definition). Everything pyteomics finds is found."""
    mine = pairs(
        digest_positions(
            protein,
            enzyme,
            missed_cleavages=missed,
            min_length=2,
            max_length=max_length,
            semi_specific=True,
            clip_n_term_met=False,
        )
    )
    theirs = pyteomics_pairs(protein, enzyme, missed, 2, max_length, True)
    assert theirs <= mine
    boundaries = naive_boundaries(protein, enzyme)
    for start, end in mine - theirs:
        # Its shortest specific parent, the one pyteomics would start from, is too long.
        parent_end = min(b for b in boundaries if b >= end)
        parent_start = max(b for b in boundaries if b <= start)
        assert start not in boundaries or parent_end - start > max_length
        assert end not in boundaries or end - parent_start > max_length


@settings(max_examples=200, deadline=None)
@given(
    protein=st.text(alphabet=ALPHABET, min_size=1, max_size=80).map(lambda text: "M" + text),
    enzyme=st.sampled_from(sorted(ENZYMES)),
    missed=st.integers(0, 3),
)
def test_methionine_clipping_is_the_union_of_two_pyteomics_digests(protein, enzyme, missed):
    mine = pairs(digest_positions(protein, enzyme, missed_cleavages=missed, min_length=2, max_length=30))
    whole = pyteomics_pairs(protein, enzyme, missed, 2, 30, False)
    clipped = {(s + 1, e + 1) for s, e in pyteomics_pairs(protein[1:], enzyme, missed, 2, 30, False)}
    assert mine == whole | clipped


@settings(max_examples=200, deadline=None)
@given(protein=st.text(alphabet=ALPHABET + UNKNOWN, min_size=1, max_size=80), enzyme=st.sampled_from(sorted(ENZYMES)))
def test_unknown_letters_drop_exactly_the_pyteomics_peptides_holding_them(protein, enzyme):
    mine = pairs(
        digest_positions(protein, enzyme, missed_cleavages=2, min_length=1, max_length=40, clip_n_term_met=False)
    )
    assert mine == pyteomics_pairs(protein, enzyme, 2, 1, 40, False)


def test_expasy_trypsin_differs_only_at_its_two_exceptions():
    """Expasy's trypsin also cuts W-K-P and M-R-P; ours follows K/R-not-before-P."""
    protein = "AAWKPAAMRPAAKPAAK"
    expasy = parser.cleave(protein, parser.expasy_rules["trypsin"], 0, regex=True)
    assert expasy == {"AAWK", "PAAMR", "PAAKPAAK"}
    assert set(digest_protein(protein, missed_cleavages=0, min_length=1, clip_n_term_met=False)) == {protein}
    plain = "AAKPAAKRPAR"
    assert set(digest_protein(plain, missed_cleavages=0, min_length=1, clip_n_term_met=False)) == parser.cleave(
        plain, parser.expasy_rules["trypsin"], 0, regex=True
    )


def test_every_enzyme_has_a_pyteomics_rule_compared():
    assert set(PYTEOMICS_RULES) == set(ENZYMES)
    for rule in PYTEOMICS_RULES.values():
        re.compile(rule)
