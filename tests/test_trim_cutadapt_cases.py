"""`lsdih trim` reproduces cutadapt's own regression cases byte for byte.

Every folder of ../shared/testdata/cutadapt_cases with a case.json is a case: its
cutadapt options are passed unchanged to `lsdih trim`, each expected output option
(-o, -p, --too-short-output, ...) gets a fresh path, and every output must equal the
expected file exactly. Cases added later are picked up the same way; an option that
lsdih does not support makes the command, and so the case, fail.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.peer


def discovered_cases() -> list[str]:
    """Case names at collection time (the peer_data fixture decides skip or failure)."""
    root = Path(os.environ.get("LSDIH_TESTDATA", PROJECT_ROOT.parent / "shared" / "testdata")) / "cutadapt_cases"
    if not root.is_dir():
        return []
    return sorted(folder.name for folder in root.iterdir() if (folder / "case.json").is_file())


def difference(expected: bytes, actual: bytes) -> str:
    lines = difflib.unified_diff(expected.decode("latin-1").splitlines(), actual.decode("latin-1").splitlines(),
                                 "expected", "lsdih trim", lineterm="", n=1)
    return "\n".join(list(lines)[:40])


@pytest.mark.parametrize("case", discovered_cases() or [None])
def test_output_is_byte_identical(case, peer_data, tmp_path):
    root = peer_data / "cutadapt_cases"
    assert case is not None, f"no case.json found under {root}"
    folder = root / case
    spec = json.loads((folder / "case.json").read_text())
    argv = [str(option) for option in spec["cutadapt_options"]]
    outputs = {}
    for index, (option, expected) in enumerate(spec["expected_outputs"].items()):
        path = tmp_path / str(index) / Path(expected).name  # keeps the name: it decides the format
        path.parent.mkdir()
        outputs[option] = (path, folder / expected)
        argv += [option, str(path)]
    argv += [str(folder / name) for name in spec["input_files"]]

    result = CliRunner().invoke(app, ["trim", "--quiet", *argv])

    assert result.exit_code == 0, f"lsdih trim {' '.join(argv)} exited {result.exit_code}:\n{result.output}"
    for option, (actual, expected) in outputs.items():
        assert actual.exists(), f"{option} {actual} was not written"
        assert actual.read_bytes() == expected.read_bytes(), (
            f"{case}: {option} differs from {expected.name}\n{difference(expected.read_bytes(), actual.read_bytes())}")
