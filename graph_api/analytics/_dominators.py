"""Hop-bounded dominators, K(v, r) of `graph_api.analytics.interdiction`'s docstring:
the nodes whose removal alone leaves v no trace source within r hops, memoised per
(node, hops left), and the walk steps they follow as Python lists."""

from __future__ import annotations

import numpy as np

from graph_api.analytics._reach import upstream_steps
from graph_api.analytics.snapshot import Snapshot

Cuts = frozenset[int] | None
"""K(v, r) as node positions; None stands for ALL (v has no source left at all)."""


class _Dominators:
    """K(v, r) of interdiction's docstring, memoised, in the view without ``removed``."""

    __slots__ = ("indptr", "indices", "source", "depth", "removed", "memo", "width")

    def __init__(
        self,
        steps: tuple[list[int], list[int]],
        source: list[bool],
        depth: int,
        removed: frozenset[int] = frozenset(),
    ) -> None:
        self.indptr, self.indices = steps
        self.source = source
        self.depth = depth
        self.removed = removed
        self.memo: dict[int, Cuts] = {}
        self.width = depth + 1

    def inner(self, first: tuple[int, ...]) -> Cuts:
        """The meet of K(w, depth - 1) over a listing's first steps ``first``: the
        nodes other than the listing that cut it alone (None: it has no source)."""
        acc: Cuts = None
        for w in first:
            k = self.cuts(w, self.depth - 1)
            if k is None:
                continue
            acc = k if acc is None else acc & k
            if not acc:
                break
        return acc

    def remove(self, c: int, back: tuple[list[int], list[int]]) -> dict[int, int]:
        """Take ``c`` out of the view and forget every K(v, r) it could change: those
        with c within r steps of v. Returns {v: fewest steps from v to c} for the v
        within ``depth`` steps (``back``: the walk steps reversed, as CSR lists)."""
        self.removed = self.removed | {c}
        bptr, bidx = back
        near = {c: 0}
        frontier = [c]
        for d in range(1, self.depth + 1):
            nxt = []
            for v in frontier:
                for i in range(bptr[v], bptr[v + 1]):
                    u = bidx[i]
                    if u not in near:
                        near[u] = d
                        nxt.append(u)
            frontier = nxt
        memo, width = self.memo, self.width
        for v, d in near.items():
            for r in range(d, width):
                memo.pop(v * width + r, None)
        return near

    def cuts(self, v: int, r: int) -> Cuts:
        """K(v, r)."""
        key = v * self.width + r
        memo = self.memo
        if key in memo:
            return memo[key]
        found: Cuts
        if v in self.removed:
            found = None
        elif self.source[v]:
            found = frozenset((v,))
        elif r <= 0:
            found = None
        else:
            acc: Cuts = None
            indices = self.indices
            for i in range(self.indptr[v], self.indptr[v + 1]):
                k = self.cuts(indices[i], r - 1)
                if k is None:
                    continue
                acc = k if acc is None else acc & k
                if not acc:
                    break
            found = None if acc is None else acc | {v}
        memo[key] = found
        return found


def _step_lists(sn: Snapshot) -> tuple[list[int], list[int]]:
    """`upstream_steps` as Python lists (the recursion indexes them per step)."""
    got = sn.derived.get("upstream_steps_lists")
    if got is None:
        indptr, indices = upstream_steps(sn)
        got = sn.derived["upstream_steps_lists"] = (indptr.tolist(), indices.tolist())
    result: tuple[list[int], list[int]] = got
    return result


def _back_lists(sn: Snapshot) -> tuple[list[int], list[int]]:
    """The walk steps reversed (CSR: the nodes stepping into i are
    ``indices[indptr[i]:indptr[i + 1]]``), as Python lists."""
    got = sn.derived.get("upstream_back_lists")
    if got is None:
        indptr, indices = upstream_steps(sn)
        sources = np.repeat(np.arange(len(sn), dtype=np.int64), np.diff(indptr))
        order = np.argsort(indices, kind="stable")
        back = np.searchsorted(indices[order], np.arange(len(sn) + 1))
        got = sn.derived["upstream_back_lists"] = (back.tolist(), sources[order].tolist())
    result: tuple[list[int], list[int]] = got
    return result
