"""glibc's malloc thresholds, set once when a long-running process or the CLI starts.

By default glibc serves every allocation over 128 KB with a fresh ``mmap`` and returns it
on ``free``; it raises that threshold only after freeing such a block, so whether a 270 KB
XBIN's buffers are faulted in afresh on every message depends on what the process
happened to do first. Measured (``benchmarks/allocator.py``): with the thresholds fixed,
``check()`` of a referral with a 200 KB PDF runs markedly faster and without page faults.
Messages up to ``MMAP_THRESHOLD`` now come from the heap; larger ones (a 20 MB
attachment) still get their own mapping, returned to the system when freed, so a process's
resident memory does not stay at the size of the largest message it has handled.

``MEDCOM_MALLOC_TUNING=0`` leaves glibc's defaults. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 8 * 1024 * 1024  # bytes; glibc's default starts at 128 KB
TRIM_THRESHOLD = 32 * 1024 * 1024  # free memory kept at the heap's top before returning it
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3


def tune() -> bool:
    """Sets the thresholds; whether it did (False off glibc or when switched off)."""
    if os.environ.get("MEDCOM_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
