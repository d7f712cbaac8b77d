"""Protein groups at an FDR threshold, from the PSMs of a search (rows of
`workflows.common.peptide_search`): parsimony over the peptides, then picked-protein
target-decoy competition (`kernels.fdr`) for protein-level q-values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kernels.decoys import DECOY_TAG
from kernels.fdr import parsimonious_proteins, picked_q_values

PROTEIN_COLUMNS = ("protein", "protein_q_value", "peptides", "psms", "best_score", "peptide_sequences")


def protein_q_values(rows: Sequence[dict]) -> list[dict]:
    """Protein groups with picked-protein q-values, from PSM rows of every score (as
    `workflows.common.peptide_search.assign_q_values` returns them, targets and decoys).

    Each peptide sequence keeps its best PSM; parsimony (`kernels.fdr.parsimonious_proteins`)
    runs over the target peptides and, separately, over the decoy peptides (their rev_
    accessions), and each chosen protein stands for its group. A group scores its best
    peptide's score; a target group and the decoy group of the same accession compete
    (`kernels.fdr.picked_q_values`), and the loser is dropped. Returns the kept groups,
    best score first: protein, decoy, protein_q_value, best_score and "peptides", the
    sequences the group explains, sorted."""
    best: dict[tuple[str, bool], float] = {}
    owners: dict[bool, dict[str, set[str]]] = {False: {}, True: {}}
    for row in rows:
        key = (row["peptide"], row["decoy"])
        best[key] = max(best.get(key, float("-inf")), row["score"])
        owners[row["decoy"]].setdefault(row["peptide"], set()).update(row["proteins"])
    groups = []
    for decoy in (False, True):
        for protein, explained in parsimonious_proteins(owners[decoy]).items():
            score = max(best[(peptide, decoy)] for peptide in explained)
            groups.append({"protein": protein, "decoy": decoy, "best_score": score, "peptides": explained})
    pairs = [group["protein"].removeprefix(DECOY_TAG) if group["decoy"] else group["protein"] for group in groups]
    scores = np.array([group["best_score"] for group in groups], dtype=np.float64)
    decoys = np.array([group["decoy"] for group in groups], dtype=bool)
    kept, q = picked_q_values(pairs, scores, decoys)
    picked = [{**groups[i], "protein_q_value": value} for i, value in zip(kept.tolist(), q.tolist())]
    picked.sort(key=lambda group: (-group["best_score"], group["protein"]))
    return picked


def accepted_proteins(rows: Sequence[dict], peptides: Sequence[dict], fdr: float) -> list[dict]:
    """Target protein groups (`protein_q_values` over all of `rows`) whose protein-level
    q-value is at most `fdr`, in PROTEIN_COLUMNS: each lists the target peptides of
    `peptides` (rows of `accepted_peptides`, all modified forms of a sequence together)
    that it explains, with their PSM count; a group none of whose peptides is accepted at
    the peptide level is left out. Best score first."""
    accepted: dict[str, int] = {}
    for row in peptides:
        if not row["decoy"]:
            accepted[row["peptide"]] = accepted.get(row["peptide"], 0) + row["psms"]
    proteins = []
    for group in protein_q_values(rows):
        if group["decoy"] or group["protein_q_value"] > fdr:
            continue
        explained = [peptide for peptide in group["peptides"] if peptide in accepted]
        if explained:
            proteins.append({
                "protein": group["protein"],
                "protein_q_value": group["protein_q_value"],
                "peptides": len(explained),
                "psms": sum(accepted[peptide] for peptide in explained),
                "best_score": group["best_score"],
                "peptide_sequences": ";".join(explained),
            })  # fmt: skip
    return proteins
