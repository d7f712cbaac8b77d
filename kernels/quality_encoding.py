"""Which quality encoding a FASTQ file uses, decided from the quality characters seen.

Three encodings exist (Cock et al. 2010, NAR 38:1767):

    name           written by                 offset  scores          characters
    sanger         Sanger, Illumina 1.8+      33      Phred 0..93     '!' (33) .. '~' (126)
    illumina-1.3   Illumina 1.3 to 1.7        64      Phred 0..62     '@' (64) .. '~'
    solexa         Solexa, Illumina < 1.3     64      Solexa -5..62   ';' (59) .. '~'

Only the lowest and highest character matter:

- no character seen (no bases): undecided; Sanger is assumed, being the only encoding
  instruments write today.
- lowest below ';': Sanger, the only encoding with such characters.
- highest at most 'J' (Phred+33 Q41, the top of Illumina 1.8+): every character lies in
  the overlap of Sanger as instruments write it and of the offset-64 encodings, so the
  data cannot tell; Sanger is assumed and the result says so (`ambiguous`).
- lowest below '@': Solexa, the only offset-64 encoding with ';' to '?'.
- otherwise Illumina 1.3 to 1.7. Solexa data without negative scores looks the same;
  from 'J' (score 10) up both give the same Phred scores, so only a lowest character
  below 'J' makes the difference matter, and the result then says so in `message`.

An explicit choice (33, 64 or "solexa") is used as given, unless the data contradicts
it: a character below the encoding's lowest one is an error. Sanger accepts every
printable character, so no data contradicts it.

Solexa scores convert to Phred as 10 log10(10^(S/10) + 1), rounded to the nearest
integer, which is how Cock et al.'s reference conversions were written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from kernels.fastq_records import (
    AT_SIGN,
    CARRIAGE_RETURN,
    MISSING_AT_SIGN,
    NEWLINE,
    PLUS_SIGN,
    STATUS_MESSAGES,
    TRUNCATED_RECORD,
    FastqFormatError,
    as_uint8_array,
    terminated,
)
from kernels.jit import kernel

LOWEST_CHARACTER = 33  # '!'
HIGHEST_CHARACTER = 126  # '~'
CHARACTER_COLUMNS = HIGHEST_CHARACTER - LOWEST_CHARACTER + 1  # 94 printable characters
LOWEST_SOLEXA = 59  # ';', Solexa -5
LOWEST_ILLUMINA = 64  # '@', Phred+64 Q0
HIGHEST_ILLUMINA_1_8 = 74  # 'J', Phred+33 Q41
SOLEXA_EQUALS_PHRED = 74  # 'J': from Solexa 10 up, a Solexa score converts to the same Phred score

AUTO = "auto"
SANGER = "sanger"
ILLUMINA_1_3 = "illumina-1.3"
SOLEXA = "solexa"


class QualityEncodingError(ValueError):
    """Quality characters that the requested encoding cannot hold."""


@dataclass(frozen=True)
class QualityEncoding:
    """A decided encoding; `message` explains an assumption (empty when there was none)."""

    name: str
    offset: int
    lowest_character: int
    description: str
    ambiguous: bool = False
    message: str = ""

    def phred_by_column(self) -> np.ndarray:
        """Phred score of each printable character ('!' is column 0); -1 where the
        encoding has no such character."""
        characters = np.arange(LOWEST_CHARACTER, HIGHEST_CHARACTER + 1)
        scores = characters - self.offset
        if self.name == SOLEXA:
            scores = np.array([_phred_from_solexa(int(score)) for score in scores])
        return np.where(characters >= self.lowest_character, scores, -1).astype(np.int64)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "offset": self.offset,
            "description": self.description,
            "ambiguous": self.ambiguous,
            "message": self.message,
        }


ENCODINGS = {
    SANGER: QualityEncoding(SANGER, 33, LOWEST_CHARACTER, "Sanger / Illumina 1.8+ (Phred+33)"),
    ILLUMINA_1_3: QualityEncoding(ILLUMINA_1_3, 64, LOWEST_ILLUMINA, "Illumina 1.3-1.7 (Phred+64)"),
    SOLEXA: QualityEncoding(SOLEXA, 64, LOWEST_SOLEXA, "Solexa (Solexa+64)"),
}
REQUESTS = {AUTO: AUTO, 33: SANGER, 64: ILLUMINA_1_3, SOLEXA: SOLEXA, SANGER: SANGER, ILLUMINA_1_3: ILLUMINA_1_3}


def _phred_from_solexa(score: int) -> int:
    return int(round(10 * math.log10(10 ** (score / 10) + 1)))


def requested_encoding(value: str | int) -> str:
    """Normalise a requested encoding: "auto", 33, 64, "solexa" (or "33"/"64" as text)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or value not in REQUESTS:
        raise ValueError(f"quality encoding must be 'auto', 33, 64 or 'solexa', not {value!r}")
    return REQUESTS[value]


def lowest_allowed_character(requested: str | int) -> int:
    """The lowest quality character a profile accepts while reading with `requested`."""
    name = requested_encoding(requested)
    return LOWEST_CHARACTER if name == AUTO else ENCODINGS[name].lowest_character


def decide_quality_encoding(lowest: int | None, highest: int | None, requested: str | int = AUTO) -> QualityEncoding:
    """Return the encoding of data whose quality characters run from `lowest` to
    `highest` (ASCII codes; None when there were none), following the module's rules.

    Raises QualityEncodingError when an explicit `requested` encoding cannot hold
    `lowest`, naming the encoding the data looks like instead.
    """
    name = requested_encoding(requested)
    for character in (lowest, highest):
        if character is not None and not LOWEST_CHARACTER <= character <= HIGHEST_CHARACTER:
            raise QualityEncodingError(f"byte 0x{character:02x} is not a quality character ('!' to '~')")
    if name != AUTO:
        chosen = ENCODINGS[name]
        if lowest is not None and lowest < chosen.lowest_character:
            detected = decide_quality_encoding(lowest, highest)
            raise QualityEncodingError(
                f"quality character {chr(lowest)!r} is below {chr(chosen.lowest_character)!r}, the lowest "
                f"of {chosen.description}: the data looks like {detected.description}; "
                "set the quality encoding to auto or to match the data"
            )
        return chosen
    if lowest is None or highest is None:
        return _assumed_sanger("no quality characters were seen; Phred+33 assumed")
    if lowest < LOWEST_SOLEXA:
        return ENCODINGS[SANGER]
    if highest <= HIGHEST_ILLUMINA_1_8:
        return _assumed_sanger(
            f"quality characters {chr(lowest)!r} to {chr(highest)!r} fit both Phred+33 "
            f"(Q{lowest - 33} to Q{highest - 33}) and the offset-64 encodings "
            f"({lowest - 64} to {highest - 64}); Phred+33 assumed: set the quality offset "
            "(33 or 64) to be sure"
        )
    if lowest < LOWEST_ILLUMINA:
        return ENCODINGS[SOLEXA]
    illumina = ENCODINGS[ILLUMINA_1_3]
    if lowest < SOLEXA_EQUALS_PHRED:
        note = (
            f"no character below '@', so Solexa scores would read the same; "
            f"characters below {chr(SOLEXA_EQUALS_PHRED)!r} would then mean slightly higher Phred scores"
        )
        return QualityEncoding(illumina.name, illumina.offset, illumina.lowest_character, illumina.description, False, note)
    return illumina


def _assumed_sanger(message: str) -> QualityEncoding:
    sanger = ENCODINGS[SANGER]
    return QualityEncoding(sanger.name, sanger.offset, sanger.lowest_character, sanger.description, True, message)


# Walker state, carried from one buffer to the next.
PHASE, SEQUENCE_LENGTH, QUALITY_LENGTH, QUALITY_LINES, RECORDS, LOWEST, HIGHEST = range(7)
EXPECT_TITLE, IN_SEQUENCE, IN_QUALITY = range(3)
NOT_A_TITLE = 1


@kernel
def _quality_character_range(buffer, state):
    """Walk the whole lines of `buffer` (it ends with a newline, or is empty), keeping
    the lowest and highest quality character in `state`.

    Records may be wrapped as Cock et al. allow: sequence lines run to the '+' line,
    quality lines until they are as long as the sequence. Returns 0, or NOT_A_TITLE
    when a record does not start with '@' (state[RECORDS] good records before it).
    """
    position = 0
    while position < buffer.size:
        line_end = position
        while buffer[line_end] != NEWLINE:
            line_end += 1
        text_end = line_end - 1 if line_end > position and buffer[line_end - 1] == CARRIAGE_RETURN else line_end
        phase = state[PHASE]
        if phase == EXPECT_TITLE:
            if text_end > position:  # blank lines between records are not this kernel's concern
                if buffer[position] != AT_SIGN:
                    return NOT_A_TITLE
                state[PHASE] = IN_SEQUENCE
                state[SEQUENCE_LENGTH] = 0
        elif phase == IN_SEQUENCE:
            if text_end > position and buffer[position] == PLUS_SIGN:
                state[PHASE] = IN_QUALITY
                state[QUALITY_LENGTH] = 0
                state[QUALITY_LINES] = 0
            else:
                state[SEQUENCE_LENGTH] += text_end - position
        else:
            lowest = state[LOWEST]
            highest = state[HIGHEST]
            # min/max without a branch per character: LLVM turns these into vector ops.
            for offset in range(position, text_end):
                character = np.int64(buffer[offset])
                lowest = min(lowest, character)
                highest = max(highest, character)
            state[LOWEST] = lowest
            state[HIGHEST] = highest
            state[QUALITY_LENGTH] += text_end - position
            state[QUALITY_LINES] += 1
            if state[QUALITY_LENGTH] >= state[SEQUENCE_LENGTH]:
                state[PHASE] = EXPECT_TITLE
                state[RECORDS] += 1
        position = line_end + 1
    return 0


def quality_character_range(blocks: Iterable[bytes]) -> tuple[int | None, int | None, int]:
    """Return (lowest, highest, records) over the quality lines of a FASTQ stream given
    in blocks split anywhere; lowest/highest are None when there were no bases.

    Wrapped records are read as Cock et al. define them. Raises FastqFormatError naming
    the record (1-based) that does not start with '@', or that the input cuts short.
    Other defects are the validator's (`kernels.fastq_validate`) to find.
    """
    state = np.zeros(7, dtype=np.int64)
    state[LOWEST], state[HIGHEST] = 256, -1
    remainder = b""

    def scan(data: bytes) -> None:
        if _quality_character_range(as_uint8_array(data), state) == NOT_A_TITLE:
            raise FastqFormatError(STATUS_MESSAGES[MISSING_AT_SIGN], record=int(state[RECORDS]) + 1)

    for block in blocks:
        data = remainder + block if remainder else block
        end = data.rfind(b"\n") + 1
        scan(data[:end])
        remainder = bytes(data[end:])
    scan(terminated(remainder))
    if state[PHASE] != EXPECT_TITLE:
        raise FastqFormatError(STATUS_MESSAGES[TRUNCATED_RECORD], record=int(state[RECORDS]) + 1)
    if state[HIGHEST] < 0:
        return None, None, int(state[RECORDS])
    return int(state[LOWEST]), int(state[HIGHEST]), int(state[RECORDS])


def detect_quality_encoding(blocks: Iterable[bytes], requested: str | int = AUTO) -> QualityEncoding:
    """Return the encoding of a FASTQ stream (see `decide_quality_encoding`)."""
    lowest, highest, _ = quality_character_range(blocks)
    return decide_quality_encoding(lowest, highest, requested)
