"""Code shared by the rule scripts of several workflows (and by the CLI): file reading.

Kernels do no I/O; this is where bytes come from: files opened, decompressed and cut into
blocks that the kernels then read.
"""
