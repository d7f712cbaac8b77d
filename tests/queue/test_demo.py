"""`lsdih demo` — the README's main job — end to end: lsdih up, HTTP upload, queue, Dask."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_fastq_qc_through_the_http_api(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "demo", "--outdir", str(tmp_path), "--samples", "2", "--reads", "2000"],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr + (tmp_path / "service.log").read_text()
    report = tmp_path / "fastq-qc" / "results" / "report.html"
    assert f"report: {report}" in completed.stdout
    assert "sample1" in report.read_text() and "sample2" in report.read_text()
    assert (tmp_path / "fastq-qc" / "results" / "summary.tsv").read_text().count("\n") == 3
