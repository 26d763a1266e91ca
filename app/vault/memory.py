"""Giving the memory a big load freed back to the system (glibc keeps it otherwise).

Opening a vault of 10,000 accounts and building its list make and drop megabytes of
temporaries: the file and its plaintext, the JSON rows, the columns. glibc keeps freed heap
pages resident, all the more once one big buffer has been freed (it then serves the next
ones from its heap, not from fresh mappings), and in the heap of the thread that opened the
vault: 11 MiB stay at 10,000 accounts. `malloc_trim` hands them back. Other C libraries
(musl, macOS, Windows) have no such call: there this does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache

# Loading ctypes for the call costs 1 MiB; what the trim gives back is worth more from
# about 3,000 accounts on (measured with tests/bench/ui.py), so smaller vaults skip it.
WORTH_IT_FROM_ACCOUNTS = 3000


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):  # musl has no malloc_trim
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    function: Callable[[int], int] = trim
    return function


def release_after_load(accounts: int) -> None:
    """After loading a vault of `accounts` accounts: return the C heap's free pages to the
    system if that is worth loading ctypes for; nothing where the C library cannot."""
    if accounts < WORTH_IT_FROM_ACCOUNTS:
        return
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # 0: keep no spare pages at the top of the heap either
