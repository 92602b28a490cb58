"""The derived caches of a few views, least recently used out.

A view's whole-graph answers derive from its numpy `snapshot` (a few hundred
MB at a million entities, with what rings keep to reuse after a write). One
org's query must not throw away another's: `KeptViews` keeps the latest
version's networkx cache of up to ``size`` views, and when a view is asked at
a newer version than the one kept, follows its snapshot over the changes
instead of reading the view again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from graph_api.analytics.follow import follow_read
from graph_api.analytics.snapshot import CACHE_KEY, PENDING_KEY, Snapshot
from graph_api.view_columns import ViewReads

__all__ = ["KeptViews", "views_within"]

Changes = tuple[set[str], set[tuple[str, str]]]
ChangesSince = Callable[[int], Changes | None]

KEPT_VIEWS = 2
"""Views whose caches are kept at least: about 0.3–0.5 GB each at a million entities."""
MOST_VIEWS = 16
KEPT_BYTES = 1 << 30
"""What the kept views' caches may take together, about: a view's is some
``BYTES_PER_ENTITY`` per entity of the graph (0.3–0.5 GB at a million)."""
BYTES_PER_ENTITY = 450


def views_within(entities: int, budget: int | None = None) -> int:
    """How many views' caches to keep for a graph of ``entities``: as many as ``budget``
    (``KEPT_BYTES``) holds, from ``KEPT_VIEWS`` to ``MOST_VIEWS``. At 100k entities
    every org's view of a dozen orgs stays kept, and an org's whole-graph question
    after a write follows its snapshot instead of reading the view again; at 1M two.

    >>> views_within(1_000_000), views_within(100_000), views_within(0)
    (2, 16, 16)
    """
    per_view = max(entities, 1) * BYTES_PER_ENTITY
    return max(KEPT_VIEWS, min(MOST_VIEWS, (budget or KEPT_BYTES) // per_view))


class KeptViews:
    """Per view (``view_key``), the networkx cache of its latest version asked.

    Parameters
    ----------
    size : int
        How many views are kept; asking for another drops the least recently
        asked one's cache.

    Examples
    --------
    >>> import networkx as nx
    >>> from graph_api.analytics import hotspots
    >>> kept = KeptViews(size=2)
    >>> G = nx.MultiDiGraph()
    >>> G.__networkx_cache__ = kept.cache("brand-a", 1, None, None)
    >>> hotspots(G).total_listings
    0
    >>> kept.cache("brand-a", 1, None, None) is G.__networkx_cache__  # the same view: kept
    True
    >>> _ = kept.cache("brand-b", 1, None, None), kept.cache("brand-c", 1, None, None)
    >>> kept.views()  # brand-a, least recently asked, went
    ['brand-b', 'brand-c']

    Notes
    -----
    Cost: a dictionary look-up; following a kept snapshot costs what
    `graph_api.analytics.follow.followed` costs (tens of milliseconds for
    one report at a million entities), where reading the view costs seconds:
    here only its reading of the changes (`follow_read`), its numpy work over
    every relation where the snapshot is first asked (a whole-graph job's thread).
    """

    def __init__(self, size: int = KEPT_VIEWS) -> None:
        self.size = max(size, 1)
        self._kept: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()

    def views(self) -> list[str]:
        """The views kept, least recently asked first."""
        return list(self._kept)

    def cache(
        self, view_key: str, version: int, view: ViewReads | None,
        changes_since: ChangesSince | None,
    ) -> dict[str, Any]:
        """The cache to hand networkx with the graph of ``view`` (``view_key`` at store
        ``version``; a store's ``VisibleGraph``).

        The one kept for that version, else a new one, holding the kept
        earlier version's snapshot followed over ``changes_since(earlier)``
        (read from ``view.graph()``) when that is known (None: the store cannot
        tell, or ``view`` is None; read afresh).
        """
        kept = self._kept.get(view_key)
        if kept is not None and kept[0] == version:
            self._kept.move_to_end(view_key)
            return kept[1]
        derived: dict[str, Any] = {}
        if kept is not None and kept[0] < version:
            before = kept[1].get(CACHE_KEY)
            changes = None if changes_since is None else changes_since(kept[0])
            if isinstance(before, Snapshot) and changes is not None and view is not None:
                del self._kept[view_key]  # the old snapshot goes as soon as it is followed
                finish = follow_read(before, view.graph(), *changes)  # what it reads of it
                if finish is not None:  # its numpy work: where the snapshot is first asked
                    derived[PENDING_KEY] = finish
        self._kept.pop(view_key, None)
        while len(self._kept) >= self.size:
            self._kept.popitem(last=False)
        self._kept[view_key] = (version, derived)
        return derived
