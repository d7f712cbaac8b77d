"""The cache policy of `kernels.jit`: a change to any kernel module invalidates every kernel."""

from __future__ import annotations

import numba

from kernels import jit
from kernels.fastq_profile import profile_fastq_blocks
from kernels.fastq_profile_pass import _profile_records


def test_the_digest_follows_every_source_file(tmp_path):
    (tmp_path / "callee.py").write_text("def f():\n    return 1\n")
    (tmp_path / "caller.py").write_text("from callee import f\n")
    before = jit.sources_digest(tmp_path)
    (tmp_path / "callee.py").write_text("def f():\n    return 2\n")
    assert jit.sources_digest(tmp_path) != before
    (tmp_path / "notes.txt").write_text("not Python")
    assert jit.sources_digest(tmp_path) == jit.sources_digest(tmp_path)


def test_kernel_stamps_hold_the_package_digest():
    profile_fastq_blocks([b"@r\nA\n+\nI\n"])  # loads or compiles the kernel
    locator = _profile_records._cache._impl.locator
    assert isinstance(locator, jit._PackageStamp)
    assert locator.get_source_stamp()[1] == jit.SOURCES_DIGEST == jit.sources_digest()


def test_functions_outside_the_package_keep_numba_s_own_stamp():
    @numba.njit(cache=True)
    def outside(value):
        return value + 1

    assert outside(1) == 2
    assert not isinstance(outside._cache._impl.locator, jit._PackageStamp)
