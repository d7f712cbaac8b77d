"""Catalogue of Snakemake workflows authored by centre staff: one folder per workflow."""

from pathlib import Path

WORKFLOWS_DIR = Path(__file__).resolve().parent
