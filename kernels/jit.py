"""The one place that decides how kernels are compiled.

Every kernel module decorates its private functions with `kernel` so that a change of
policy (caching, fast math, parallelism) happens here and nowhere else.

- `cache=True`: compiled machine code is written next to the source, or under
  `NUMBA_CACHE_DIR` when the install is read-only, so a Snakemake job (a fresh process
  per rule) does not pay the compile time again.
- `nogil=True`: a Dask worker thread running a kernel lets other threads run.
- `fastmath=False`: results must equal the slow reference in `tests/naive.py` exactly;
  reassociating float sums would break that and buys little on integer counting.
- no `parallel`: one kernel call uses one core; Snakemake and Dask parallelise across
  jobs, and `parallel=True` would require a fork-safe threading layer everywhere.

Numba checks a cached kernel against its own source file only, but a kernel's machine
code includes the kernels it calls from other modules: after a `git pull` that changed
only a callee, the caller's stale code would still load. So the stamp of every kernel
in this package also holds a digest of all the package's sources (`SOURCES_DIGEST`),
and any change to any kernel module recompiles them all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
from numba.core import caching

JIT_OPTIONS: dict[str, bool] = {"cache": True, "nogil": True, "fastmath": False}

PACKAGE = Path(__file__).resolve().parent


def sources_digest(folder: Path = PACKAGE) -> str:
    """SHA-256 over the names and contents of the folder's Python files."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


SOURCES_DIGEST = sources_digest()


class _PackageStamp:
    """Mixed into Numba's cache locators for the functions of this package only."""

    def get_source_stamp(self):
        return (super().get_source_stamp(), SOURCES_DIGEST)

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != PACKAGE:
            return None
        return super().from_function(py_func, py_file)


def _install_package_stamp() -> None:
    # Numba 0.60 names its locators with a leading underscore, later versions without.
    bases = [getattr(caching, name, None) or getattr(caching, "_" + name, None)
             for name in ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")]  # fmt: skip
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    if impl is None or None in bases or any(issubclass(c, _PackageStamp) for c in impl._locator_classes):
        return
    stamped = [type("Package" + base.__name__.lstrip("_"), (_PackageStamp, base), {}) for base in bases]
    impl._locator_classes = [*stamped, *impl._locator_classes]


_install_package_stamp()

kernel = numba.njit(**JIT_OPTIONS)
"""Decorator for a nopython kernel compiled with the project's options."""

inline_kernel = numba.njit(inline="always", **JIT_OPTIONS)
"""The same, inlined into its callers by Numba: for a kernel called once per read with
many arrays, each of which a call passes as seven words (the per-read trimming step:
0.12 -> 0.09 us of fixed cost per read). Not for the hot loops themselves: inlining the
adapter search into it made trimming slower."""
