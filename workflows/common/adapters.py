"""Adapter specifications as cutadapt's `-a/-g/-b` (and `-A/-G/-B`) accept them.

    [NAME=]SEQUENCE[;PARAMETER[;PARAMETER...]]

- `-a` (3'), `-g` (5'), `-b` (either end: a match touching the read's first base is
  treated as 5', any other as 3').
- Placement: `^ADAPTER` (anchored 5', -g), `ADAPTER$` (anchored 3', -a), `XADAPTER`
  (non-internal 5'), `ADAPTERX` (non-internal 3'); none with -b. An adapter made of X
  only is a plain 3' adapter that matches nothing (cutadapt's way of writing "no adapter").
- `-a ADAPTER...` means `-g ADAPTER`, `-a ...ADAPTER` and `-g ADAPTER...` mean the adapter
  itself; linked adapters (`A...B`) are not supported.
- `X{n}` repeats a character n times (`A{10}`).
- Parameters override the command line's defaults: `e=`/`error_rate=`/`max_errors=`,
  `o=`/`min_overlap=`, `indels`, `noindels`, `anywhere` (search a -a/-g adapter with
  all ends free, but trim as before).

Sequences are upper-cased, U becomes T and I becomes N. An error rate of 1 or more is
a number of errors, turned into a rate over the adapter's non-N length. With adapter
wildcards on (the default) the sequence must be IUPAC; wildcards are then used only if
it holds a character other than A, C, G, T.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kernels.adapter_table import AdapterParameters

IUPAC_CHARACTERS = frozenset("ABCDGHKMNRSTUVWXY")
PARAMETER_NAMES = {
    "e": "max_errors", "error_rate": "max_errors", "max_error_rate": "max_errors", "max_errors": "max_errors",
    "o": "min_overlap", "min_overlap": "min_overlap", "anywhere": "anywhere", "indels": "indels",
    "noindels": "noindels", "required": "required", "optional": "optional", "rightmost": "rightmost",
}


class AdapterSpecError(ValueError):
    """An adapter specification that cannot be used; the message says why."""


@dataclass(frozen=True)
class SearchDefaults:
    """The command line's search settings, which per-adapter parameters may override."""

    max_errors: float = 0.1
    min_overlap: int = 3
    indels: bool = True
    read_wildcards: bool = False
    adapter_wildcards: bool = True


@dataclass(frozen=True)
class Adapter:
    """A parsed adapter: its name (given or numbered), its spec and its search parameters."""

    name: str
    spec: str
    parameters: AdapterParameters


def expand_braces(sequence: str) -> str:
    """Replace each `x{n}` with n copies of x (0 <= n <= 10000)."""
    result = ""
    pieces = [piece for piece in re.split("([{}])", sequence) if piece]
    position = 0
    while position < len(pieces):
        piece = pieces[position]
        if piece == "{":
            if not result or position + 2 >= len(pieces) or pieces[position + 2] != "}":
                raise AdapterSpecError(f"cannot expand '{sequence}': use x{{n}} after a character")
            try:
                count = int(pieces[position + 1])
            except ValueError:
                raise AdapterSpecError(f"cannot expand '{sequence}': {pieces[position + 1]!r} is not a number") from None
            if not 0 <= count <= 10000:
                raise AdapterSpecError(f"cannot expand '{sequence}': {count} is not within 0..10000")
            result = result[:-1] + result[-1] * count
            position += 3
            continue
        if piece == "}":
            raise AdapterSpecError(f"cannot expand '{sequence}': unexpected '}}'")
        result += piece
        position += 1
    return result


def _parse_parameters(text: str) -> dict:
    parameters: dict = {}
    for field in (field.strip() for field in text.split(";")):
        if not field:
            continue
        key, equals, value = (part.strip() for part in field.partition("="))
        if key not in PARAMETER_NAMES:
            raise AdapterSpecError(f"unknown adapter parameter '{key}'")
        if equals and not value:
            raise AdapterSpecError(f"no value given for adapter parameter '{key}'")
        key = PARAMETER_NAMES[key]
        if key in parameters:
            raise AdapterSpecError(f"adapter parameter '{key}' given twice")
        if not value:
            parameters[key] = True
            continue
        try:
            parameters[key] = int(value)
        except ValueError:
            try:
                parameters[key] = float(value)
            except ValueError:
                raise AdapterSpecError(f"adapter parameter '{key}': {value!r} is not a number") from None
    if "indels" in parameters and "noindels" in parameters:
        raise AdapterSpecError("'indels' and 'noindels' cannot both be given")
    if "noindels" in parameters:
        parameters["indels"] = not parameters.pop("noindels")
    for unsupported in ("required", "optional"):
        if unsupported in parameters:
            raise AdapterSpecError(f"'{unsupported}' applies to linked adapters, which are not supported")
    if "rightmost" in parameters:
        raise AdapterSpecError("the 'rightmost' parameter is not supported")
    return parameters


def _restriction(sequence: str, option_type: str) -> tuple[str | None, str]:
    front = back = None
    if sequence.startswith("^"):
        front, sequence = "anchored", sequence[1:]
    if sequence.upper().startswith("X"):
        if front:
            raise AdapterSpecError("choose one of ^ADAPTER, ADAPTER$, XADAPTER or ADAPTERX")
        front, sequence = "noninternal", sequence.lstrip("xX")
    if sequence.endswith("$"):
        back, sequence = "anchored", sequence[:-1]
    if sequence.upper().endswith("X"):
        if back:
            raise AdapterSpecError("choose one of ^ADAPTER, ADAPTER$, XADAPTER or ADAPTERX")
        back, sequence = "noninternal", sequence.rstrip("xX")
    if front and back:
        raise AdapterSpecError("choose one of ^ADAPTER, ADAPTER$, XADAPTER or ADAPTERX")
    if option_type == "anywhere" and (front or back):
        raise AdapterSpecError("placement restrictions (^, $, X) are not allowed for -b/-B adapters")
    if option_type == "front" and back:
        raise AdapterSpecError("a 5' adapter may be anchored only as ^ADAPTER or XADAPTER")
    if option_type == "back" and front:
        raise AdapterSpecError("a 3' adapter may be anchored only as ADAPTER$ or ADAPTERX")
    return front or back, sequence


KINDS = {
    ("back", None): "back", ("back", "anchored"): "anchored_back", ("back", "noninternal"): "noninternal_back",
    ("front", None): "front", ("front", "anchored"): "anchored_front",
    ("front", "noninternal"): "noninternal_front", ("anywhere", None): "anywhere",
}


def parse_adapter(spec: str, option_type: str, defaults: SearchDefaults, number: int) -> Adapter:
    """Parse one `-a` ("back"), `-g` ("front") or `-b` ("anywhere") value.

    `number` names the adapter when the spec does not. Raises AdapterSpecError.
    """
    if spec.startswith(("file:", "^file:")):
        raise AdapterSpecError("adapter files (file:...) are not supported; give the sequences")
    left, ellipsis, right = spec.partition("...")
    if ellipsis and left and right:
        raise AdapterSpecError(f"linked adapters ('{spec}') are not supported")
    if ellipsis:
        if option_type == "anywhere":
            raise AdapterSpecError("no '...' allowed in -b/-B adapters")
        if not left and option_type == "front":
            raise AdapterSpecError(f"invalid adapter specification '{spec}'")
        if not right and option_type == "back":
            option_type = "front"
        spec = left or right
    text, _, parameter_text = spec.partition(";")
    name, equals, sequence = text.partition("=")
    if not equals:
        name, sequence = "", name
    name, sequence = name.strip(), expand_braces(sequence.strip())
    parameters = _parse_parameters(parameter_text)
    restriction = None
    if sequence.strip("X"):
        restriction, sequence = _restriction(sequence, option_type)
    else:
        parameters = {}  # cutadapt ignores the parameters of an all-X adapter
    if restriction == "anchored" and "min_overlap" in parameters:
        raise AdapterSpecError("anchored adapters match in full; 'o=' cannot be set for them")
    if parameters.get("min_overlap", 0) > len(sequence):
        raise AdapterSpecError(f"min_overlap={parameters['min_overlap']} exceeds the length of adapter {sequence}")
    kind = KINDS[option_type, restriction]
    force_anywhere = bool(parameters.pop("anywhere", False)) and kind in ("back", "front")
    settings = replace(defaults, **parameters)
    return Adapter(name or str(number), spec, _adapter_parameters(sequence, kind, settings, force_anywhere))


def _adapter_parameters(sequence: str, kind: str, settings: SearchDefaults, force_anywhere: bool) -> AdapterParameters:
    original_length = len(sequence)
    sequence = sequence.upper().replace("U", "T").replace("I", "N")
    if not sequence:
        raise AdapterSpecError("the adapter sequence is empty")
    if not sequence.isascii():
        raise AdapterSpecError(f"adapter '{sequence}' holds non-ASCII characters")
    max_errors = settings.max_errors
    if max_errors < 0:
        raise AdapterSpecError(f"the error rate must not be negative ({max_errors})")
    non_n = len(sequence) - sequence.count("N")
    if max_errors >= 1 and non_n:
        max_errors /= non_n
    if settings.adapter_wildcards and not set(sequence) <= IUPAC_CHARACTERS:
        bad = next(character for character in sequence if character not in IUPAC_CHARACTERS)
        raise AdapterSpecError(f"character '{bad}' in adapter '{sequence}' is not an IUPAC code "
                               "(use -N to match adapters literally)")
    wildcards = settings.adapter_wildcards and not set(sequence) <= set("ACGT")
    if wildcards and non_n == 0:
        raise AdapterSpecError(f"adapter '{sequence}' consists of N wildcards only")
    min_overlap = original_length if kind.startswith("anchored") else settings.min_overlap
    if min_overlap < 1:
        raise AdapterSpecError("the minimum overlap must be at least 1")
    return AdapterParameters(sequence.encode("ascii"), kind, max_errors, min(min_overlap, len(sequence)),
                             settings.indels, wildcards, settings.read_wildcards, force_anywhere)


def parse_adapters(specs: list[tuple[str, str]], defaults: SearchDefaults, first_number: int = 1) -> list[Adapter]:
    """Parse (option_type, spec) pairs in command-line order; numbering continues from
    `first_number` for unnamed adapters."""
    return [parse_adapter(spec, option_type, defaults, first_number + index)
            for index, (option_type, spec) in enumerate(specs)]
