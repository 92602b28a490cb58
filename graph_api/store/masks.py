"""What a caller sees of the shared graph's facts: the masks, and a node merged from
the facts a mask admits.

Every fact is decided by ``VisibilityMask.sees``: its class, and in a view as of a
time (`AsOfMask`) also its report's time (``graph_api.store.horizon``). A node's
fields are merged from the facts seen (`merged_node`, `visible_node`); a node stated
more than ``HUB_FACTS`` times keeps its merge per mask (``VisibilityMask.kept``). The
networkx view built on a mask is `graph_api.store.scoped_view`.

Node facts: ``(seq, vclass, confidence, kind, name, region, status, ...)``.
Edge facts: ``(seq, vclass, confidence)``.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from graph_api.store.facts import Data, EntityFact, Fact
from graph_api.store.horizon import Horizon
from graph_api.view_columns import BoolArray

__all__ = [
    "AsOfMask",
    "VisibilityMask",
    "merged_node",
    "visible_node",
]


class VisibilityMask:
    """``mask[class_id]`` is True when the caller may see that visibility class;
    ``mask.sees(fact)`` whether it sees one fact (report key first, class second)."""

    horizon: Horizon | None = None  # a view as of a time: `AsOfMask`

    def __init__(self, decide: Callable[[int], bool]) -> None:
        self._decide = decide
        self.bits: list[bool] = []

    def __getitem__(self, class_id: int) -> bool:
        bits = self.bits
        while class_id >= len(bits):
            bits.append(self._decide(len(bits)))
        return bits[class_id]

    def sees(self, fact: Fact) -> bool:
        """Whether the caller sees this fact: its class."""
        c = fact[1]
        bits = self.bits
        return bits[c] if c < len(bits) else self[c]

    def sees_node(self, data: Data) -> bool:
        """``visible_node(data, self) is not None``, stopping at the first visible fact: a
        hub is asked only past its first ``HUB_FACTS`` (its merge, kept per mask, is then
        made once), a neighbour of a page need not have its visible facts merged."""
        facts = data["facts"]
        sees = self.sees
        for fact in facts[:HUB_FACTS] if len(facts) > HUB_FACTS else facts:
            if sees(fact):
                return True
        return len(facts) > HUB_FACTS and visible_node(data, self) is not None

    def class_bits(self, count: int) -> BoolArray:
        """Whether the caller sees each of the classes ``0 .. count - 1``: a whole view
        read with numpy decides its facts by class with this array."""
        return np.fromiter((self[c] for c in range(count)), dtype=bool, count=count)

    def admitted(self) -> BoolArray | None:
        """For a view as of a time, whether each report (by key) is admitted; None when
        every report is."""
        return None if self.horizon is None else self.horizon.bits()

    def fixed(self, classes: int) -> VisibilityMask:
        """This mask's decisions for the first ``classes`` classes (and, as of a time,
        the reports admitted now), taken now, to be read on any thread: the
        store's classes and reports may grow meanwhile on the thread that owns it.

        >>> mask = VisibilityMask(lambda c: c % 2 == 0).fixed(3)
        >>> mask.class_bits(3).tolist(), mask.sees((1, 2, 0.5))
        ([True, False, True], True)
        """
        if classes:
            self[classes - 1]
        return _FixedMask(self.bits[:classes], self.admitted())

    def kept(self, data: Data, name: str) -> MutableMapping[Any, Any]:
        """What a node keeps per mask under ``name`` (a hub's merges): a view as of a
        time keeps it weakly, so that the masks of past times asked once go with it."""
        found: MutableMapping[Any, Any] = data.setdefault(name, {})
        return found


class AsOfMask(VisibilityMask):
    """The mask of a view as of a time: a fact is seen when its class is and its report
    was received at or before the time (``horizon``, by report key).

    >>> from graph_api.store.horizon import ReportTimes
    >>> times = ReportTimes(lambda a, u: [(1, "2026-11-01T09:00:00+00:00"),
    ...                                   (2, "2026-11-02T09:00:00+00:00")][a:u])
    >>> times.follow(2)
    >>> mask = AsOfMask(lambda c: c == 0, Horizon(times, int(times.array()[1])))
    >>> [mask.sees(f) for f in ((1, 0, 0.5), (2, 0, 0.5), (1, 1, 0.5))]
    [True, False, False]
    """

    def __init__(self, decide: Callable[[int], bool], horizon: Horizon) -> None:
        super().__init__(decide)
        self.horizon = horizon
        self._admitted = horizon.__getitem__

    def sees(self, fact: Fact) -> bool:
        c = fact[1]
        bits = self.bits
        return bool((bits[c] if c < len(bits) else self[c]) and self._admitted(fact[0]))

    def kept(self, data: Data, name: str) -> MutableMapping[Any, Any]:
        found: MutableMapping[Any, Any] | None = data.get(name + "@")
        if found is None:
            found = data[name + "@"] = WeakKeyDictionary()
        return found


class _FixedMask(VisibilityMask):
    """`VisibilityMask.fixed`: a class beyond those taken is an error, not a decision."""

    def __init__(self, bits: list[bool], admitted: BoolArray | None) -> None:
        super().__init__(bits.__getitem__)
        self.bits = bits
        self._reports = admitted

    def sees(self, fact: Fact) -> bool:
        return bool(self.bits[fact[1]] and (self._reports is None or self._reports[fact[0]]))

    def admitted(self) -> BoolArray | None:
        return self._reports


def merged_node(facts: list[EntityFact]) -> Data:
    """Merge node facts (oldest first): the latest non-null value of each field wins."""
    data: Data = {"kind": facts[0][3], "name": None, "region": None, "status": None}
    for fact in facts:
        if fact[4] is not None:
            data["name"] = fact[4]
        if fact[5] is not None:
            data["region"] = fact[5]
        if fact[6] is not None:
            data["status"] = fact[6]
    miss = 1.0
    for fact in facts:
        miss *= 1.0 - fact[2]
    data["miss"] = miss
    data["confidence"] = 1.0 - miss
    data["facts"] = facts
    return data


HUB_FACTS = 32  # nodes stated this often (brands, public warehouses) cache their views


def visible_node(data: Data, mask: VisibilityMask) -> tuple[list[EntityFact], Data] | None:
    """The caller's facts of a node and the node's fields merged from them.

    Facts only ever append, so a hub keeps, per mask, how far it has looked and
    what it found, and only new facts are checked on the next call.
    """
    facts = data["facts"]
    sees = mask.sees
    if len(facts) <= HUB_FACTS:
        visible = [f for f in facts if sees(f)]
        if not visible:
            return None
        return visible, data if len(visible) == len(facts) else merged_node(visible)
    seen = mask.kept(data, "seen")
    hit = seen.get(mask)
    if hit is None or hit[0] != len(facts):
        checked, before, merged = hit if hit else (0, [], {})
        more = [f for f in facts[checked:] if sees(f)]
        visible = before + more if more else before
        if len(visible) == len(facts):
            merged = data
        elif not visible:
            merged = {}
        elif merged and merged is not data:
            merged = _merged_more(merged, more, visible) if more else merged
        else:  # all was visible (``data`` has moved on since) or nothing was
            merged = merged_node(visible)
        hit = seen[mask] = (len(facts), visible, merged)
    return (hit[1], hit[2]) if hit[1] else None


def _merged_more(merged: Data, more: list[EntityFact], visible: list[EntityFact]) -> Data:
    """``merged_node(visible)`` from ``merged`` (that of the facts before ``more``):
    O(new facts), where a hub stated 200,000 times took 40 ms to merge again."""
    out: Data = {
        "kind": merged["kind"],
        "name": merged["name"],
        "region": merged["region"],
        "status": merged["status"],
    }
    miss = merged["miss"]
    for fact in more:
        if fact[4] is not None:
            out["name"] = fact[4]
        if fact[5] is not None:
            out["region"] = fact[5]
        if fact[6] is not None:
            out["status"] = fact[6]
        miss *= 1.0 - fact[2]
    out["miss"] = miss
    out["confidence"] = 1.0 - miss
    out["facts"] = visible
    return out
