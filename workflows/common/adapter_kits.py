"""Which adapters to trim: a library kit named, sequences given, or a kit detected from
the adapter content of the raw reads; and whether to trim poly-G tails.

Detection follows the idea of Trim Galore's: the kit whose adapter the most reads carry
wins. The evidence is the profile's adapter content (`kernels.adapter_content`: the
share of reads holding the first 12 bases of the kit's read-1 adapter), which the
profile of the raw reads already has, so deciding costs no extra pass. A kit is chosen
only when its share reaches `min_percent`; below that nothing is trimmed as adapter, and
the decision says why. Random 150-base reads carry a given 12-mer with a probability of
about 1 in 100,000, so the default threshold (0.1% of reads) is far above chance.

Poly-G tails come from two-colour chemistry (NextSeq, NovaSeq), where no signal reads as
G. "auto" trims them when the raw reads' poly-G content (reads holding 12 G in a row)
reaches the same threshold, which such runs exceed and other runs do not.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from kernels.adapter_content import ADAPTERS
from kernels.fastq_profile import Profile
from workflows.common.qc_metrics import adapter_content

AUTO = "auto"
NO_ADAPTERS = "none"
SEQUENCES_PATTERN = re.compile(r"^[ACGTURYSWKMBDHVN]+(,[ACGTURYSWKMBDHVN]+)*$", re.IGNORECASE)


@dataclass(frozen=True)
class AdapterKit:
    key: str
    name: str
    content_key: str  # the adapter of kernels.adapter_content that measures it
    read1: str
    read2: str


KITS = (
    AdapterKit("illumina", "Illumina TruSeq / universal", "illumina_universal", "AGATCGGAAGAGC", "AGATCGGAAGAGC"),
    AdapterKit("nextera", "Nextera (Tn5 transposase)", "nextera", "CTGTCTCTTATACACATCT", "CTGTCTCTTATACACATCT"),
    AdapterKit("small_rna", "Illumina small RNA", "small_rna", "TGGAATTCTCGG", "GATCGTCGGACT"),
)
KITS_BY_KEY = {kit.key: kit for kit in KITS}
POLY_G_CONTENT_KEY = "poly_g"
assert {kit.content_key for kit in KITS} | {POLY_G_CONTENT_KEY} <= {adapter.key for adapter in ADAPTERS}


@dataclass(frozen=True)
class AdapterChoice:
    """The adapters trimmed from read 1 and read 2, how they were chosen and why."""

    setting: str
    kit: str | None
    read1: tuple[str, ...]
    read2: tuple[str, ...]
    content_percent: dict[str, float]
    decision: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PolyGChoice:
    setting: str | bool
    enabled: bool
    content_percent: float
    decision: str

    def to_dict(self) -> dict:
        return asdict(self)


def highest_content_percent(profiles: list[Profile], key: str) -> float:
    """The largest share (%) of reads carrying adapter `key` over the files of a sample."""
    return max((adapter_content(profile)[key][-1] for profile in profiles if profile.reads and profile.longest_read),
               default=0.0)


def _sequences(text: str) -> tuple[str, ...]:
    if not SEQUENCES_PATTERN.match(text):
        raise ValueError(f"adapters {text!r}: give auto, none, a kit ({', '.join(KITS_BY_KEY)}) "
                         "or DNA sequences separated by commas")
    return tuple(sequence.upper() for sequence in text.split(","))


def choose_adapters(setting: str, setting2: str, profiles: list[Profile], min_percent: float) -> AdapterChoice:
    """Decide the adapters of a sample (one profile, or two for a pair) from the
    `adapters` parameter (auto, none, a kit key or sequences) and `adapters2` (sequences
    for read 2; empty: those of read 1, or the kit's read-2 adapter)."""
    content = {kit.key: highest_content_percent(profiles, kit.content_key) for kit in KITS}
    if setting == NO_ADAPTERS:
        return AdapterChoice(setting, None, (), (), content, "adapter trimming is off (adapters: none)")
    if setting == AUTO:
        best = max(KITS, key=lambda kit: content[kit.key])  # the first kit listed wins a tie
        if content[best.key] < min_percent or content[best.key] == 0:
            return AdapterChoice(setting, None, (), (), content,
                                 f"no kit's adapter reaches {min_percent:g}% of reads (highest: {best.name}, "
                                 f"{content[best.key]:.3g}%), so no adapter is trimmed")
        kit = best
        decision = (f"detected {kit.name}: its adapter is in {content[kit.key]:.3g}% of reads, the most of any kit "
                    f"and at least {min_percent:g}%")
    elif setting in KITS_BY_KEY:
        kit = KITS_BY_KEY[setting]
        decision = f"{kit.name}, as set"
    else:
        read1 = _sequences(setting)
        read2 = _sequences(setting2) if setting2 else read1
        return AdapterChoice(setting, None, read1, read2, content, "the adapter sequences given")
    read2 = _sequences(setting2) if setting2 else (kit.read2,)
    return AdapterChoice(setting, kit.key, (kit.read1,), read2, content, decision)


def choose_poly_g(setting: str | bool, profiles: list[Profile], min_percent: float) -> PolyGChoice:
    """Decide poly-G trimming from the `poly_g` parameter (auto, true or false)."""
    content = highest_content_percent(profiles, POLY_G_CONTENT_KEY)
    if setting is True or setting is False:
        return PolyGChoice(setting, setting, content, f"poly-G trimming {'on' if setting else 'off'}, as set")
    if setting != AUTO:
        raise ValueError(f"poly_g must be auto, true or false, not {setting!r}")
    enabled = content > 0 and content >= min_percent
    verdict = "reaches" if enabled else "is below"
    return PolyGChoice(setting, enabled, content,
                       f"poly-G (12 G) is in {content:.3g}% of reads, which {verdict} {min_percent:g}%: "
                       f"poly-G trimming {'on' if enabled else 'off'}")
