"""Peptide search: lsdih's engine vs a straightforward pyteomics search (and Sage via sagepy).

The data are generated from a seed: a proteome-sized random FASTA (residue frequencies of
UniProt, log-normal lengths, median about 400) and MS2 spectra in MGF, most of them from
tryptic peptides of that FASTA (b and y ions at charge 1, plus charge 2 for triply
charged precursors, with log-normal intensities, 30% of the ions missing, a few ppm of
m/z error, noise peaks, a precursor mass error of a few ppm) and a share from peptides of
proteins that are not in the FASTA, which no engine should identify.

Every engine searches with the same settings (trypsin, 1 missed cleavage, lengths 7-30,
carbamidomethyl C fixed, no variable modification, precursor 10 ppm with no isotope
error, fragments 10 ppm at charge 1 (and 2 for charge 3), top 150 peaks, reversed
decoys) in a fresh process of its own; wall time, CPU time and peak RSS come from
wait4(). Each reports its best PSM per spectrum with a hyperscore, and the q-values are
computed here, the same way for all ((decoys + 1) / targets, target-decoy competition).

- lsdih: `workflows.common.peptide_search` (`build_database`, then `search_file`), at 1
  and 2 threads; with `--before N`, also the per-spectrum search peptide-search 0.1.0
  used (`kernels.psm_scoring.search_spectrum`, ladders built in Python per candidate) on
  the first N spectra, scaled like the pyteomics row;
- pyteomics: `parser.cleave` and `mass.fast_mass` for the database, a sorted mass list
  for the candidates and, per candidate, b/y ions from `mass.fast_mass` matched against
  the peaks with numpy: what one writes in an afternoon. It is slow, so it searches the
  first `--pyteomics-spectra` spectra only, and its spectra/s are scaled from those (the
  table says so);
- Sage through `sagepy` (`pip install sagepy`), if installed; otherwise "skipped: not
  installed". It is a benchmark peer only, never a dependency of lsdih.

The machine may be shared; `--repeat N` keeps each engine's fastest of N runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.timing import print_table, run_measured, save_json

# UniProtKB/Swiss-Prot residue frequencies (percent), rounded.
RESIDUE_FREQUENCIES = {
    "A": 8.25, "R": 5.53, "N": 4.06, "D": 5.45, "C": 1.37, "Q": 3.93, "E": 6.75, "G": 7.07, "H": 2.27, "I": 5.96,
    "L": 9.66, "K": 5.84, "M": 2.42, "F": 3.86, "P": 4.70, "S": 6.56, "T": 5.34, "W": 1.08, "Y": 2.92, "V": 6.87,
}  # fmt: skip
SETTINGS = {
    "missed_cleavages": 1, "min_length": 7, "max_length": 30, "precursor_ppm": 10.0, "fragment_ppm": 10.0,
    "top_n": 150,
}  # fmt: skip
FDR = 0.01
CARBAMIDOMETHYL_DELTA = 57.021464


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--proteins", type=int, default=20_000, help="proteins in the FASTA (default 20,000)")
    parser.add_argument("--spectra", type=int, default=10_000, help="simulated spectra (default 10,000)")
    parser.add_argument("--foreign", type=float, default=0.2,
                        help="share of spectra from proteins not in the FASTA (default 0.2)")
    parser.add_argument("--pyteomics-spectra", type=int, default=300,
                        help="spectra the pyteomics search runs on; its rate is scaled (default 300)")
    parser.add_argument("--before", type=int, default=0, metavar="N",
                        help="also run the per-spectrum search of peptide-search 0.1.0 on the first N spectra (default: not)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="lsdih thread counts (default 1 2)")
    parser.add_argument("--repeat", type=int, default=1, help="keep each engine's fastest of N runs (default 1)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # internal: run one engine in this process
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)


# ---- data -------------------------------------------------------------------------------


def random_proteome(rng: np.random.Generator, count: int, prefix: str = "BENCH") -> list[tuple[str, str]]:
    letters = np.array(list(RESIDUE_FREQUENCIES))
    weights = np.array(list(RESIDUE_FREQUENCIES.values()))
    weights /= weights.sum()
    lengths = np.clip(rng.lognormal(math.log(400), 0.65, count), 50, 5000).astype(int)
    return [
        (f"{prefix}{number:05d}", "M" + "".join(rng.choice(letters, length - 1, p=weights)))
        for number, length in enumerate(lengths.tolist())
    ]


def simulated_spectrum(rng: np.random.Generator, title: str, peptide: str) -> str:
    """An MGF record of `peptide` (carbamidomethylated C)."""
    from kernels.peptide_mass import CARBAMIDOMETHYL, fragment_mz_ladders, mz_from_neutral_mass, peptide_neutral_mass

    charge = 3 if rng.random() < 0.3 else 2
    b_ions, y_ions = fragment_mz_ladders(peptide, 2 if charge == 3 else 1, (CARBAMIDOMETHYL,))
    # Singly charged y ions strongest, doubly charged ones weakest.
    scale = np.array([1.0, 0.3])[: b_ions.shape[1]]
    ions = np.concatenate([b_ions.ravel(), y_ions.ravel()])
    strength = np.concatenate([np.tile(scale * 0.6, b_ions.shape[0]), np.tile(scale, y_ions.shape[0])])
    intensity = strength * rng.lognormal(math.log(1000), 0.8, ions.size)
    present = rng.random(ions.size) >= 0.3
    ions = ions[present] * (1 + rng.normal(0, 3e-6, present.sum()))
    intensity = intensity[present]
    mass = peptide_neutral_mass(peptide, (CARBAMIDOMETHYL,))
    noise_count = rng.poisson(80)
    noise = rng.uniform(150, min(mass, 2000), noise_count)
    mz = np.concatenate([ions, noise])
    intensity = np.concatenate([intensity, rng.lognormal(math.log(150), 1.0, noise_count)])
    order = np.argsort(mz)
    precursor = mz_from_neutral_mass(mass, charge) * (1 + rng.normal(0, 3e-6))
    peaks = "".join(f"{m:.5f} {i:.1f}\n" for m, i in zip(mz[order].tolist(), intensity[order].tolist()))
    return f"BEGIN IONS\nTITLE={title}\nPEPMASS={precursor:.6f}\nCHARGE={charge}+\n{peaks}END IONS\n"


def write_data(folder: Path, proteins: int, spectra: int, foreign: float, seed: int) -> dict[str, str]:
    """proteins.fasta and spectra.mgf in `folder`; returns {spectrum title: true peptide}."""
    from kernels.digestion import digest_protein

    rng = np.random.default_rng(seed)
    database = random_proteome(rng, proteins)
    with open(folder / "proteins.fasta", "w") as handle:
        for accession, sequence in database:
            handle.write(f">{accession} random protein\n")
            handle.writelines(sequence[start : start + 60] + "\n" for start in range(0, len(sequence), 60))
    outsiders = random_proteome(rng, max(1, proteins // 20), prefix="OUT")

    def peptides_of(pool, count):
        chosen: list[str] = []
        while len(chosen) < count:
            _, sequence = pool[int(rng.integers(len(pool)))]
            found = digest_protein(sequence, missed_cleavages=0, min_length=8, max_length=25)
            if found:
                chosen.append(found[int(rng.integers(len(found)))])
        return chosen

    foreign_count = int(round(spectra * foreign))
    peptides = peptides_of(database, spectra - foreign_count) + peptides_of(outsiders, foreign_count)
    order = rng.permutation(len(peptides))
    truth = {}
    with open(folder / "spectra.mgf", "w") as handle:
        for number, position in enumerate(order.tolist()):
            title = f"scan={number}"
            handle.write(simulated_spectrum(rng, title, peptides[position]))
            truth[title] = peptides[position] if position < spectra - foreign_count else ""
    return truth


# ---- engines (each runs in a process of its own) -----------------------------------------


def _lsdih_parameters():
    from kernels.peptide_mass import CARBAMIDOMETHYL
    from kernels.psm_scoring import SearchSettings
    from workflows.common.peptide_search import SearchParameters

    return SearchParameters(
        missed_cleavages=SETTINGS["missed_cleavages"], min_length=SETTINGS["min_length"],
        max_length=SETTINGS["max_length"], fixed_modifications=(CARBAMIDOMETHYL,), variable_modifications=(),
        deisotope=False, top_n=SETTINGS["top_n"],
        search=SearchSettings(precursor_tolerance_ppm=SETTINGS["precursor_ppm"], isotope_errors=(0, 0),
                              fragment_tolerance=SETTINGS["fragment_ppm"], fragment_unit="ppm", max_fragment_charge=2,
                              min_matched_peaks=1, top_k=1),
    )  # fmt: skip


def run_lsdih(data: Path, threads: int, limit: int | None) -> dict:
    from workflows.common.peptide_search import build_database, read_proteins, search_file

    parameters = _lsdih_parameters()
    from workflows.common import peptide_search

    scoring = [0.0]
    search_spectra = peptide_search.search_spectra

    def timed_search_spectra(*args, **kwargs):  # the compiled scoring alone, as for Sage
        started = time.perf_counter()
        try:
            return search_spectra(*args, **kwargs)
        finally:
            scoring[0] += time.perf_counter() - started

    peptide_search.search_spectra = timed_search_spectra
    started = time.perf_counter()
    database = build_database(read_proteins(data / "proteins.fasta"), parameters)
    built = time.perf_counter()
    rows = search_file(database, data / "spectra.mgf", parameters, threads=threads)
    done = time.perf_counter()
    psms = [[row["spectrum"], row["peptide"], row["score"], bool(row["decoy"])] for row in rows]
    return {"database_s": built - started, "search_s": done - built, "scoring_s": scoring[0],
            "searched": _count_spectra(data), "psms": psms}  # fmt: skip


def run_lsdih_per_spectrum(data: Path, threads: int, limit: int | None) -> dict:
    """lsdih as peptide-search 0.1.0 searched: one `search_spectrum` call per spectrum,
    its candidates' fragment ladders built in Python (the "before" of the batch kernel)."""
    from kernels.psm_scoring import search_spectrum
    from kernels.spectrum_preprocessing import preprocess_spectrum
    from workflows.common.peptide_search import build_database, read_proteins, read_spectra

    parameters = _lsdih_parameters()
    started = time.perf_counter()
    database = build_database(read_proteins(data / "proteins.fasta"), parameters)
    built = time.perf_counter()
    psms = []
    for number, spectrum in enumerate(read_spectra(data / "spectra.mgf")):
        if limit is not None and number >= limit:
            break
        mz, intensity = preprocess_spectrum(spectrum.mz, spectrum.intensity, deisotope_peaks=False, top_n=parameters.top_n)
        found = search_spectrum(mz, intensity, spectrum.precursor_mz, spectrum.charges, database.index,
                                database.peptides, parameters.search)  # fmt: skip
        if len(found):
            peptide = int(found.peptide[0])
            psms.append([spectrum.identifier, database.peptides[peptide], float(found.score[0]), bool(database.is_decoy[peptide])])
    done = time.perf_counter()
    return {"database_s": built - started, "search_s": done - built, "searched": _count_spectra(data, limit), "psms": psms}


def _count_spectra(data: Path, limit: int | None = None) -> int:
    with open(data / "spectra.mgf") as handle:
        count = sum(line.startswith("BEGIN IONS") for line in handle)
    return min(count, limit) if limit else count


def _reversed_decoy(peptide: str) -> str:
    return peptide[-2::-1] + peptide[-1]


def run_pyteomics(data: Path, threads: int, limit: int | None) -> dict:
    import bisect

    from pyteomics import fasta, mass, mgf, parser

    aa_mass = dict(mass.std_aa_mass)
    aa_mass["C"] += CARBAMIDOMETHYL_DELTA
    started = time.perf_counter()
    peptides: dict[str, bool] = {}
    for _, sequence in fasta.read(str(data / "proteins.fasta")):
        for peptide in parser.cleave(sequence, parser.expasy_rules["trypsin"], SETTINGS["missed_cleavages"],
                                     min_length=SETTINGS["min_length"], max_length=SETTINGS["max_length"]):
            if set(peptide) <= set(aa_mass):
                peptides[peptide] = False
    for peptide in list(peptides):
        peptides.setdefault(_reversed_decoy(peptide), True)
    entries = sorted((mass.fast_mass(peptide, aa_mass=aa_mass), peptide) for peptide in peptides)
    masses = [item[0] for item in entries]
    built = time.perf_counter()
    psms = []
    tolerance = SETTINGS["precursor_ppm"] * 1e-6
    for number, spectrum in enumerate(mgf.read(str(data / "spectra.mgf"), use_index=False)):
        if limit is not None and number >= limit:
            break
        charge = int(spectrum["params"]["charge"][0])
        precursor = (spectrum["params"]["pepmass"][0] - mass.nist_mass["H+"][0][0]) * charge
        mz, intensity = spectrum["m/z array"], spectrum["intensity array"]
        top = np.sort(np.argsort(intensity)[::-1][: SETTINGS["top_n"]])
        mz, intensity = mz[top], intensity[top]
        best = None
        low = bisect.bisect_left(masses, precursor * (1 - tolerance))
        high = bisect.bisect_right(masses, precursor * (1 + tolerance))
        for _, peptide in entries[low:high]:
            counts = [0, 0]
            total = 0.0
            for ion_type, slot in (("b", 0), ("y", 1)):
                for fragment_charge in range(1, (2 if charge >= 3 else 1) + 1):
                    for cut in range(1, len(peptide)):
                        part = peptide[:cut] if ion_type == "b" else peptide[cut:]
                        ion = mass.fast_mass(part, ion_type=ion_type, charge=fragment_charge, aa_mass=aa_mass)
                        width = ion * SETTINGS["fragment_ppm"] * 1e-6
                        first, last = np.searchsorted(mz, [ion - width, ion + width + 1e-12])
                        if last > first:
                            counts[slot] += 1
                            total += float(intensity[first:last].max())
            if total > 0:
                score = math.lgamma(counts[0] + 1) + math.lgamma(counts[1] + 1) + math.log(total)
                if best is None or score > best[1]:
                    best = (peptide, score)
        if best is not None:
            psms.append([spectrum["params"]["title"], best[0], best[1], peptides[best[0]]])
    done = time.perf_counter()
    return {"database_s": built - started, "search_s": done - built, "searched": _count_spectra(data, limit), "psms": psms}


def run_sage(data: Path, threads: int, limit: int | None) -> dict:
    from pyteomics import mgf
    from sagepy.core import (
        EnzymeBuilder,
        Precursor,
        RawSpectrum,
        SageSearchConfiguration,
        Scorer,
        SpectrumProcessor,
        Tolerance,
    )

    started = time.perf_counter()
    configuration = SageSearchConfiguration(
        fasta=(data / "proteins.fasta").read_text(),
        enzyme_builder=EnzymeBuilder(missed_cleavages=SETTINGS["missed_cleavages"], min_len=SETTINGS["min_length"],
                                     max_len=SETTINGS["max_length"], cleave_at="KR", restrict="P", c_terminal=True),
        static_mods={"C": "[UNIMOD:4]"}, variable_mods={}, generate_decoys=True, decoy_tag="rev_", bucket_size=2**14,
        peptide_min_mass=300, peptide_max_mass=6000,
    )  # fmt: skip
    database = configuration.generate_indexed_database()
    built = time.perf_counter()
    processor = SpectrumProcessor(take_top_n=SETTINGS["top_n"], deisotope=False)
    spectra = []
    for spectrum in mgf.read(str(data / "spectra.mgf"), use_index=False):
        params = spectrum["params"]
        raw = RawSpectrum(
            file_id=1, spec_id=params["title"], total_ion_current=float(spectrum["intensity array"].sum()),
            precursors=[Precursor(mz=float(params["pepmass"][0]), charge=int(params["charge"][0]))],
            mz=spectrum["m/z array"].astype(np.float32), intensity=spectrum["intensity array"].astype(np.float32),
        )  # fmt: skip
        spectra.append(processor.process(raw))
    scorer = Scorer(
        precursor_tolerance=Tolerance(ppm=(-SETTINGS["precursor_ppm"], SETTINGS["precursor_ppm"])),
        fragment_tolerance=Tolerance(ppm=(-SETTINGS["fragment_ppm"], SETTINGS["fragment_ppm"])),
        min_matched_peaks=1, min_isotope_err=0, max_isotope_err=0, report_psms=1, max_fragment_charge=2,
        static_mods={"C": "[UNIMOD:4]"}, variable_mods={}, annotate_matches=False,
    )  # fmt: skip
    scoring = time.perf_counter()
    features = scorer.score_collection(database, spectra, num_threads=threads)
    done = time.perf_counter()
    psms = []
    for spectrum, feature in zip(spectra, features):
        if feature is None:
            continue
        peptide = database[feature.peptide_idx]
        sequence = peptide.sequence.replace("[UNIMOD:4]", "")
        psms.append([spectrum.id, sequence, feature.hyperscore, feature.label == -1])
    return {"database_s": built - started, "search_s": done - built, "scoring_s": done - scoring,
            "searched": len(spectra), "psms": psms}  # fmt: skip


ENGINES = {"lsdih": run_lsdih, "lsdih-per-spectrum": run_lsdih_per_spectrum, "pyteomics": run_pyteomics, "sage": run_sage}


# ---- measuring and reporting ------------------------------------------------------------


def run_engine(engine: str, data: Path, threads: int, limit: int | None, output: Path) -> dict:
    """The engine's figures from a fresh process, with its wall, CPU and peak RSS."""
    command = [sys.executable, "-m", "benchmarks", "peptide-search", "--engine", engine, "--data", str(data),
               "--threads", str(threads), "--output", str(output)] + (["--limit", str(limit)] if limit else [])
    usage = run_measured(command, label=engine)
    result = json.loads(output.read_text())
    result.update(wall_s=usage.seconds, cpu_s=usage.cpu_seconds, peak_rss_mb=usage.peak_rss_mb)
    return result


def identifications(psms: list, truth: dict[str, str]) -> dict:
    """PSMs and peptides at 1% FDR (target-decoy competition, computed alike for every
    engine), and how many of the accepted PSMs name the simulated peptide (I = L)."""
    from kernels.fdr import competition_q_values

    if not psms:
        return {"psms_at_fdr": 0, "peptides_at_fdr": 0, "correct_at_fdr": 0}
    scores = np.array([row[2] for row in psms], dtype=np.float64)
    decoys = np.array([row[3] for row in psms], dtype=bool)
    kept, q = competition_q_values([row[0] for row in psms], scores, decoys)
    accepted = [psms[i] for i, value in zip(kept.tolist(), q.tolist()) if value <= FDR and not psms[i][3]]
    best, peptide_q = competition_q_values([(row[1], row[3]) for row in psms], scores, decoys)
    peptides = {psms[i][1] for i, value in zip(best.tolist(), peptide_q.tolist()) if value <= FDR and not psms[i][3]}

    def same(a: str, b: str) -> bool:
        return a.replace("I", "L") == b.replace("I", "L")

    correct = sum(same(row[1], truth.get(row[0], "")) for row in accepted)
    return {"psms_at_fdr": len(accepted), "peptides_at_fdr": len(peptides), "correct_at_fdr": correct}


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main(args: argparse.Namespace) -> int:
    if args.engine:
        result = ENGINES[args.engine](args.data, args.threads[0], args.limit)
        args.output.write_text(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="lsdih-bench-peptide-") as folder:
        data = Path(folder)
        started = time.perf_counter()
        truth = write_data(data, args.proteins, args.spectra, args.foreign, args.seed)
        print(f"data: {args.proteins} proteins, {args.spectra} spectra ({args.foreign:.0%} from proteins not in the "
              f"FASTA), generated in {time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs")  # fmt: skip
        plan = [(f"lsdih, {threads} thread{'s' * (threads > 1)}", "lsdih", threads, None) for threads in args.threads]
        if args.before:
            plan.append((f"lsdih per spectrum, 0.1.0 (first {args.before}, scaled)", "lsdih-per-spectrum", 1, args.before))
        plan.append((f"pyteomics (first {args.pyteomics_spectra}, scaled)", "pyteomics", 1, args.pyteomics_spectra))
        skipped = []
        if _installed("sagepy"):
            plan += [(f"Sage (sagepy), {threads} thread{'s' * (threads > 1)}", "sage", threads, None) for threads in args.threads]
        else:
            skipped.append("Sage (sagepy): skipped: not installed")
        results: dict[str, dict] = {}
        for _ in range(args.repeat):
            for label, engine, threads, limit in plan:
                result = run_engine(engine, data, threads, limit, data / f"{engine}-{threads}.json")
                if label not in results or result["search_s"] < results[label]["search_s"]:
                    results[label] = result
    rows = []
    figures = {}
    for label, result in results.items():
        counts = identifications(result.pop("psms"), truth)
        rate = result["searched"] / result["search_s"] if result["search_s"] > 0 else float("inf")
        figures[label] = {**result, **counts, "spectra_per_s": rate}
        scoring = f"{result['scoring_s']:.2f}" if "scoring_s" in result else "-"
        rows.append((label, result["searched"], result["database_s"], result["search_s"], scoring, rate,
                     result["wall_s"], result["peak_rss_mb"], counts["psms_at_fdr"], counts["peptides_at_fdr"],
                     counts["correct_at_fdr"]))  # fmt: skip
    print_table("Peptide search (search s: reading the MGF, preprocessing and scoring; scoring s: the compiled "
                "scoring call alone)",
                ("engine", "spectra", "database s", "search s", "scoring s", "spectra/s", "process wall s",
                 "peak RSS MB", "PSMs 1% FDR", "peptides 1% FDR", "correct PSMs"), rows)  # fmt: skip
    for line in skipped:
        print(line)
    print("\nRatios (search phase spectra/s):")
    ours = {label: values for label, values in figures.items() if label.startswith("lsdih, ")}
    for label, values in ours.items():
        for other, theirs in figures.items():
            if other in ours or (other.startswith("Sage") and other.rsplit(", ", 1)[1] != label.rsplit(", ", 1)[1]):
                continue
            print(f"  {label} / {other}: {values['spectra_per_s'] / theirs['spectra_per_s']:.2f}")
    if len(ours) > 1:
        first, *others = ours
        for label in others:
            print(f"  {label} / {first}: {ours[label]['spectra_per_s'] / ours[first]['spectra_per_s']:.2f}")
    for label, values in figures.items():
        if label.startswith("Sage") and (mine := ours.get("lsdih, " + label.rsplit(", ", 1)[1])):
            print(f"  scoring alone, {label.rsplit(', ', 1)[1]}: Sage {values['scoring_s']:.2f} s, "
                  f"lsdih {mine['scoring_s']:.2f} s (Sage / lsdih time {values['scoring_s'] / mine['scoring_s']:.2f})")
    save_json(args.json, {"settings": SETTINGS, "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                          "results": figures, "skipped": skipped})  # fmt: skip
    return 0
