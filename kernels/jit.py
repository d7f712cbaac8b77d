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
"""

from __future__ import annotations

import numba

JIT_OPTIONS: dict[str, bool] = {"cache": True, "nogil": True, "fastmath": False}

kernel = numba.njit(**JIT_OPTIONS)
"""Decorator for a nopython kernel compiled with the project's options."""
