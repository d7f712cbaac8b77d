"""What the peptide-search scripts share. Snakemake puts this folder on the script's sys.path."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from kernels.peptide_mass import ACETYL_PROTEIN_N_TERM, CARBAMIDOMETHYL, OXIDATION, PHOSPHO
from kernels.psm_scoring import SearchSettings
from workflows.common.peptide_search import SearchParameters

# The parameter schema's modification names.
MODIFICATIONS = {
    "carbamidomethyl_c": CARBAMIDOMETHYL,
    "oxidation_m": OXIDATION,
    "phospho_sty": PHOSPHO,
    "acetyl_protein_n_term": ACETYL_PROTEIN_N_TERM,
}
SUMMARY_COLUMNS = {
    "psms": "PSMs",
    "target_psms": "Target PSMs at FDR",
    "decoy_psms": "Decoy PSMs at FDR",
    "target_peptides": "Target peptides at FDR",
    "median_ppm_error": "Median ppm error",
}






def search_parameters(params: dict) -> SearchParameters:
    """The engine's settings from the workflow's (validated, filled-in) parameters."""
    return SearchParameters(
        enzyme=params["enzyme"],
        missed_cleavages=params["missed_cleavages"],
        min_length=params["min_length"],
        max_length=params["max_length"],
        fixed_modifications=tuple(MODIFICATIONS[name] for name in params["fixed_modifications"]),
        variable_modifications=tuple(MODIFICATIONS[name] for name in params["variable_modifications"]),
        max_variable_mods=params["max_variable_mods"],
        deisotope=params["deisotope"],
        top_n=params["top_n_peaks"],
        unknown_charges=tuple(params["unknown_charges"]),
        semi_specific=params["semi_specific"],
        decoy_method=params["decoy_method"],
        search=SearchSettings(
            precursor_tolerance_ppm=float(params["precursor_tolerance_ppm"]),
            isotope_errors=tuple(params["isotope_errors"]),
            fragment_tolerance=float(params["fragment_tolerance"]),
            fragment_unit=params["fragment_unit"],
            max_fragment_charge=params["max_fragment_charge"],
            fragment_min_mz=float(params["fragment_min_mz"]),
            fragment_max_mz=float(params["fragment_max_mz"]),
            min_matched_peaks=params["min_matched_peaks"],
        ),
    )


def summary_row(psms: Sequence[dict], fdr: float) -> dict:
    """SUMMARY_COLUMNS over some PSMs (with all files' q-values): target peptides are the
    distinct (sequence, modifications) of target PSMs at the threshold whose peptide-level
    q-value is within it too."""
    accepted = [row for row in psms if row["q_value"] <= fdr]
    targets = [row for row in accepted if not row["decoy"]]
    errors = [row["ppm_error"] for row in targets]
    return {
        "psms": len(psms),
        "target_psms": len(targets),
        "decoy_psms": len(accepted) - len(targets),
        "target_peptides": len({
            (row["peptide"], row["modifications"]) for row in targets if row["peptide_q_value"] <= fdr
        }),  # fmt: skip
        "median_ppm_error": statistics.median(errors) if errors else None,
    }
