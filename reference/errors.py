"""Errors of the reference package; every message names the file or reference concerned."""

from __future__ import annotations


class ReferenceDataError(Exception):
    """Base class: something is wrong with a reference or a request about one."""


class FastaFormatError(ReferenceDataError):
    """A FASTA file that cannot become a reference; names file, line and sequence."""

    def __init__(self, path: str, defect: str, *, line: int | None = None, sequence: str | None = None) -> None:
        self.path = path
        self.defect = defect
        self.line = line
        self.sequence = sequence
        where = path
        if line is not None:
            where += f", line {line}"
        if sequence is not None:
            where += f", sequence {sequence!r}"
        super().__init__(f"{where}: {defect}")


class ReferenceIntegrityError(ReferenceDataError):
    """Stored reference files no longer match the digests recorded when they were made."""

    def __init__(self, folder: str, problems: list[str]) -> None:
        self.folder = folder
        self.problems = problems
        super().__init__(f"{folder}: reference files do not match their recorded digests: " + "; ".join(problems))


class InvalidReferenceRequest(ReferenceDataError, ValueError):
    """A malformed reference name, version or ``NAME[@VERSION]`` spec."""


class ReferenceNotFound(ReferenceDataError, LookupError):
    """No registered reference (or version) by that name."""


class ReferenceExists(ReferenceDataError):
    """The name and version are taken; registered versions never change."""


class ReferenceKindMismatch(ReferenceDataError):
    """A reference of one kind (genome, protein database) where the other is needed."""
