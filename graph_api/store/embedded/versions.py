"""Per-view versions for the embedded store: what a view may see, and when it last moved.

A cache of a view's answers (``WholeGraph.cached``, ``totalCount``, the kept
snapshots) must be dropped when a write the view may see is applied, and kept
when it may not: a global write counter would let every write, also one the
caller may not see, slow the caller's next query (a timing signal that
something was written). A view's version is therefore the newest report key
among the visibility classes it sees: it grows with every write it may see and
stays put for every other.

The store tells `ClassVersions` each class's newest report as it applies
reports (``written``); a view's version is computed once from the classes (a
pass over the interned classes, not over the graph) and then kept, moved only
when a class it sees is written, including a class that is new.
"""

from __future__ import annotations

from collections.abc import Mapping

from graph_api.store.masks import VisibilityMask

__all__ = ["ClassVersions"]


class ClassVersions:
    """The newest report key of each visibility class, and of each view asked.

    Examples
    --------
    >>> versions = ClassVersions()
    >>> sees_even = VisibilityMask(lambda c: c % 2 == 0)
    >>> versions.written({0: 3, 1: 5})
    >>> versions.of("even", sees_even)
    3
    >>> versions.written({1: 9})  # a class the view may not see
    >>> versions.of("even", sees_even)
    3
    >>> versions.written({2: 11})  # a new class it sees
    >>> versions.of("even", sees_even)
    11

    Notes
    -----
    Cost: ``written`` is O(kept views × classes written); ``of`` a dictionary
    look-up once a view was asked, O(classes) the first time.
    """

    def __init__(self) -> None:
        self.newest: list[int] = []  # by class id: the newest report key of that class
        self._views: dict[str, tuple[VisibilityMask, int]] = {}

    def written(self, classes: Mapping[int, int]) -> None:
        """Reports applied: ``classes`` maps each class written to its newest report key."""
        newest = self.newest
        for cid, seq in classes.items():
            while cid >= len(newest):
                newest.append(0)
            if seq > newest[cid]:
                newest[cid] = seq
        for key, (mask, version) in self._views.items():
            moved = max((seq for cid, seq in classes.items() if mask[cid]), default=version)
            if moved > version:
                self._views[key] = (mask, moved)

    def of(self, view_key: str, mask: VisibilityMask) -> int:
        """The version of the view ``view_key`` (seeing the classes ``mask`` admits):
        the newest report key among its classes, 0 when it sees none."""
        kept = self._views.get(view_key)
        if kept is not None and kept[0] is mask:
            return kept[1]
        version = max((seq for cid, seq in enumerate(self.newest) if mask[cid]), default=0)
        self._views[view_key] = (mask, version)
        return version

    def forget(self) -> None:
        """Every class and view (the store reads its reports again)."""
        self.newest.clear()
        self._views.clear()
