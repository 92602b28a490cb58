"""The small random draws every part of the generator makes."""

from __future__ import annotations

from random import Random
from typing import Any


def _conf(rng: Random, low: float, high: float) -> float:
    return round(low + (high - low) * rng.random(), 2)


def _few(rng: Random, second: float, third: float) -> int:
    """1, 2 or 3: a second with probability ``second``, a third with ``third``."""
    return 1 + (rng.random() < second) + (rng.random() < third)


def _upto(expected: float, least: int) -> range:
    return range(max(least, round(expected)))


def _pick(seq: Any, rng: Random) -> Any:
    return seq[int(rng.random() * len(seq))]


def _remember(pool: list[Any], item: Any, rng: Random, size: int) -> None:
    if len(pool) < size:
        pool.append(item)
    else:
        pool[int(rng.random() * size)] = item
