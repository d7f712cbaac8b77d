"""Reproducible measurements against the tools users would otherwise run (never in tests)."""
