"""Request and response models of /v1/references."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MAX_VERSION = 999_999_999
ReferenceKind = Literal["genome", "protein"]


class SequencePublic(BaseModel):
    name: str = Field(description="The sequence's name (the first word of its FASTA header).")
    description: str = Field(description="The rest of the FASTA header.")
    length: int = Field(description="Bases (a genome) or residues (a protein database).")
    md5: str = Field(description="MD5 of the upper-cased sequence (SAM's @SQ M5).")
    refget: str = Field(description="GA4GH refget identifier: SQ. + sha512t24u of the upper-cased sequence.")


class ReferenceSummary(BaseModel):
    name: str
    version: int = Field(description="Versions are whole numbers from 1; a version never changes.")
    kind: ReferenceKind = Field(description="genome (nucleotide sequences) or protein (a protein database).")
    description: str
    added_at: str = Field(description="When it was added (ISO 8601, UTC).")
    added_by: str = Field(description="Who added it: the tenant and key prefix, or cli:<user>.")
    collection_digest: str = Field(
        description="GA4GH sequence collections (seqcol) level-0 digest of the names and sequences, in file order.")
    sequence_count: int
    total_length: int = Field(description="Bases (genome) or residues (protein) over all sequences.")
    minimap2_presets: list[str] = Field(
        description="The minimap2 presets an index was built for: always sr for a genome, none for a protein database.")
    source_file_name: str = Field(description="The FASTA it was made from.")


class ReferencePublic(ReferenceSummary):
    sequences: list[SequencePublic] = Field(description="Every sequence, in file order.")


class ReferencesPublic(BaseModel):
    references: list[ReferenceSummary] = Field(description="Every version of every reference, by name then version.")


class ReferenceVersionsPublic(BaseModel):
    name: str
    versions: list[ReferenceSummary] = Field(description="Oldest first; the last one is what NAME alone resolves to.")


class ReferenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="1 to 64 letters, digits, '.', '_', '-'.")
    file_id: str = Field(max_length=64, description="A FASTA (plain or gzip) the caller's tenant uploaded to /v1/files.")
    kind: ReferenceKind = Field(
        "genome", description="genome: IUPAC nucleotide codes, minimap2 indexes built; protein: a protein database "
        "(IUPAC amino-acid codes, no '*'), no minimap2 index built.")
    version: int | None = Field(None, ge=1, le=MAX_VERSION,
                                description="Default: one more than the highest version so far (1 for a new name).")
    description: str = Field("", max_length=1000)
    presets: list[Literal["sr", "map-ont", "map-pb", "map-hifi"]] = Field(
        default_factory=list, max_length=4,
        description="minimap2 indexes to build besides the short-read one (sr), e.g. map-ont for nanopore reads; "
        "genomes only: a protein database refuses map-ont, map-pb and map-hifi with a 422.")
