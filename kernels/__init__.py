"""Numba kernels on numpy uint8 arrays and integers: no files, no logging, and no imports
from the packages above (jobs, gateway, workflows). JIT options live in kernels.jit."""
