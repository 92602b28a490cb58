"""Pausing Python's cyclic garbage collector while a step builds millions of objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_collection"]


@contextmanager
def no_collection() -> Iterator[None]:
    """The garbage collector off while a step builds millions of objects it keeps
    (lists of the snapshot, a ring's key players, the kinds a bulk import checks
    against): a collection could free none of them, but would scan them, and every
    long-lived object, again and again (35 % of an import's writer CPU, measured
    2026-11-30). Reference counting still frees everything that is not a cycle.

    On the way out what was built is moved to the permanent generation
    (``gc.freeze``, as the store does after loading): left young, the first
    collection after the pause would scan all of it at once, holding the GIL for
    hundreds of milliseconds (300-580 ms measured at 1M while rings ran on a pool
    thread, graph_api.offload) and stalling the request loop."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.enable()
