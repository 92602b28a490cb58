"""A view's snapshot followed over writes, instead of read again.

A view asked at a newer version than the one kept (`graph_api.analytics.kept`) has
the snapshot of the earlier version and what the writes since changed (the entities
and relation pairs that gained facts, as the store's ``changes_since`` tells):
`followed` makes the new snapshot from those, reading only the changed nodes and
pairs through the view's mappings. `follow_read` does it in two steps, so that what
is read of the view is read on the thread that owns the store and the numpy work
over every relation runs elsewhere (``PENDING_KEY`` in the view's cache holds the
second step until `graph_api.analytics.snapshot.snapshot` runs it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from graph_api.analytics.snapshot import Snapshot
from graph_api.gc_pause import no_collection
from graph_api.view_columns import confidence_of, kind_name, plain, region_name

__all__ = ["follow_read", "followed"]

FOLLOW_AT_MOST = 50_000
"""Changed entities and pairs above which reading the view again costs about as much."""


def followed(
    sn: Snapshot, G: Any, entities: Iterable[str], pairs: Iterable[tuple[str, str]]
) -> Snapshot | None:
    """The snapshot of ``G`` made from that of an earlier version and what changed since.

    Parameters
    ----------
    sn : Snapshot
        The snapshot of the same view at an earlier version; left as it was.
    G : networkx.MultiDiGraph
        The view now.
    entities, pairs : iterables
        The entities, and the (source, target) pairs of relations, that gained
        facts since ``sn`` was read (more does no harm), as the store's
        ``changes_since`` tells: anything else is as ``sn`` read it.

    Returns
    -------
    Snapshot or None
        What `snapshot` would read from ``G`` but for the order of nodes and of
        pairs (no answer depends on it): a node that came into view, and a
        changed pair's relations, come last, a pair's kinds still together and
        in the view's order. It hands on ``sn.memo``. None when it cannot
        follow (a node went out of view, too many changes): read ``G`` again.

    Examples
    --------
    >>> import networkx as nx
    >>> from graph_api.analytics.snapshot import snapshot
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("w", kind="WAREHOUSE")
    >>> G.add_edge("s", "w", key="SHIPS_FROM", confidence=0.5)
    'SHIPS_FROM'
    >>> sn = snapshot(G)
    >>> G.add_node("f", kind="FACTORY", region="PRD")
    >>> G.add_edge("w", "f", key="SUPPLIED_BY", confidence=0.9)
    'SUPPLIED_BY'
    >>> after = followed(sn, G, ["f"], [("w", "f")])
    >>> after.ids, [(after.ids[u], after.ids[v], c) for u, v, c in zip(
    ...     after.src.tolist(), after.dst.tolist(), after.conf.tolist())]
    (['w', 's', 'f'], [('s', 'w', 0.5), ('w', 'f', 0.9)])
    >>> after.regions[after.region[2]], sn.ids
    ('PRD', ['w', 's'])

    Notes
    -----
    Cost: a pass over the ids to find the changed ones (a second one for the
    neighbours of a node that came into view), O(m) numpy to drop and append
    the changed pairs' relations, and each changed node and pair read through
    the view's mappings: tens of milliseconds at a million nodes for a report,
    where `snapshot` reads every node and relation (seconds).
    """
    finish = follow_read(sn, G, entities, pairs)
    return None if finish is None else finish()


def follow_read(
    sn: Snapshot, G: Any, entities: Iterable[str], pairs: Iterable[tuple[str, str]]
) -> Callable[[], Snapshot] | None:
    """`followed` in two steps: what it reads of ``G`` (the changed nodes and pairs,
    the neighbours of a node that came into view), read now, on the thread that owns
    the store; and the rest, the numpy work over every relation (a few hundred ms at
    3.4M relations on the loaded machine, too long for the request loop), returned
    to be run on any thread. None when it cannot follow."""
    entities, pairs = set(entities), set(pairs)
    if len(entities) + len(pairs) > FOLLOW_AT_MOST:
        return None
    before = len(sn.ids)
    at = _positions(sn, entities | {n for pair in pairs for n in pair})
    kinds, regions = list(sn.kinds), list(sn.regions)
    kind_code, region_code = _named(kinds), _named(regions)
    moved: list[tuple[int, int, int]] = []  # (position, kind, region) of changed nodes
    came: list[str] = []
    for n in sorted(entities):
        i = at.get(n)
        if n not in G:
            if i is not None:
                return None  # facts only add: a node leaving the view is not a write
            continue
        if i is None:
            i = at[n] = before + len(came)
            came.append(n)
        data = G.nodes[n]
        moved.append(
            (
                i,
                _code(kind_code, kinds, kind_name(data.get("kind"))),
                _code(region_code, regions, region_name(data.get("region"))),
            )
        )
    # A node coming into view brings its relations to nodes already there.
    todo = set(pairs)
    for n in came:
        todo.update((n, v) for v in G.succ[n])
        todo.update((u, n) for u in G.pred[n])
    missing = {x for pair in todo for x in pair if x not in at}
    at.update(_positions(sn, missing))
    rel_code = _named(sn.rels)
    rels = list(sn.rels)
    old: list[int] = []  # pair keys (in the new numbering) whose relations are read again
    size = before + len(came)
    src: list[int] = []
    dst: list[int] = []
    rel: list[int] = []
    conf: list[float] = []
    for u, v in sorted(todo):
        i, j = at.get(u), at.get(v)
        if i is None or j is None:  # an end out of view: so is the relation
            continue
        if i < before and j < before:
            old.append(i * size + j)
        keys = G.succ[u].get(v, {}) if u in G else {}
        for key in keys:
            src.append(i)
            dst.append(j)
            rel.append(_code(rel_code, rels, plain(key)))
            conf.append(confidence_of(keys[key]))

    def finish() -> Snapshot:
        with no_collection():
            return _followed(sn, came, moved, (src, dst, rel, rels, conf), old, kinds, regions)

    return finish


def _followed(sn: Snapshot, came: list[str], moved: list[tuple[int, int, int]],
              edges: tuple[list[int], list[int], list[int], list[str], list[float]],
              old: list[int], kinds: list[str], regions: list[str]) -> Snapshot:
    """`follow_read`'s second step: reads nothing but ``sn`` and what the first read."""
    src, dst, rel, rels, conf = edges
    before = len(sn.ids)
    ids = sn.ids + came
    size = len(ids)
    kind_of, region_of = sn.kind, sn.region
    if moved:
        where, k, r = (np.asarray(c, dtype=np.int64) for c in zip(*moved, strict=True))
        kind_of = np.concatenate((kind_of, np.full(size - before, -1, dtype=np.int64)))
        region_of = np.concatenate((region_of, np.full(size - before, -1, dtype=np.int64)))
        kind_of[where], region_of[where] = k, r
    kept = np.ones(len(sn.src), dtype=bool)
    if old:
        dropped = np.sort(np.asarray(old, dtype=np.int64))
        keys_now = sn.src * size + sn.dst
        found = np.minimum(np.searchsorted(dropped, keys_now), len(dropped) - 1)
        kept = dropped[found] != keys_now
    after = Snapshot(
        ids,
        (kind_of, kinds),
        (region_of, regions),
        (
            np.concatenate((sn.src[kept], np.asarray(src, dtype=np.int64))),
            np.concatenate((sn.dst[kept], np.asarray(dst, dtype=np.int64))),
            np.concatenate((sn.rel[kept], np.asarray(rel, dtype=np.int64))),
            rels,
            np.concatenate((sn.conf[kept], np.asarray(conf, dtype=np.float64))),
        ),
        memo=sn.memo,
    )
    if sn.index is not None:  # the ids before are where they were: only the new ones added
        after.index = sn.index.grown(ids, before)
    return after


def _positions(sn: Snapshot, wanted: set[str]) -> dict[str, int]:
    """The positions of the ``wanted`` ids found in the snapshot (ids are distinct): by
    its `IdIndex` when it has one, else one pass over its ids."""
    if not wanted:
        return {}
    if sn.index is not None:
        found = {n: sn.index.find(sn.ids, n) for n in wanted}
        return {n: i for n, i in found.items() if i is not None}
    return {n: i for i, n in enumerate(sn.ids) if n in wanted}


def _named(names: list[str]) -> dict[str, int]:
    """Name -> code: its first position in ``names``."""
    codes: dict[str, int] = {}
    for i, name in enumerate(names):
        codes.setdefault(name, i)
    return codes


def _code(codes: dict[str, int], names: list[str], name: str | None) -> int:
    """The code of ``name`` (-1 for None), a new one appended to ``names`` if unseen."""
    if name is None:
        return -1
    code = codes.get(name)
    if code is None:
        code = codes[name] = len(names)
        names.append(name)
    return code
