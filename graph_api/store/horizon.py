"""The embedded store's views as of a time: which reports a past view admits.

A caller reading ``@asOf(at)`` sees the assertions it may see that were reported at
or before ``at`` (the report's time of receipt, to the microsecond: `access.instant`).
Report keys follow commits, not clocks (an import parsed before a later request may
commit after it), so a view as of a time is not a prefix of the report keys: each
report is admitted by its own time. `ReportTimes` keeps every report's time by
report key (read from the database when a view as of a time is first asked, then
followed on each catch-up: a store that is never asked pays nothing); a view's
`Horizon` answers per report key whether the report is admitted, as bytes for the
facts read one by one (``masks.AsOfMask``) and as a boolean array for the
whole view read with numpy (``visible.VisibleGraph.columns``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np

from graph_api.access import instant
from graph_api.view_columns import BoolArray, IntArray

__all__ = ["Horizon", "ReportTimes"]

NEVER = np.iinfo(np.int64).max  # a report key with no report (none is ever admitted)


class ReportTimes:
    """Every report's time of receipt (microseconds since the epoch) by report key.

    ``read(after, upto)`` yields ``(report key, time as ISO text)`` of the reports in
    ``(after, upto]``.

    Examples
    --------
    >>> rows = {1: "2026-11-01T09:00:00+00:00", 2: "2026-11-01T08:59:59.999999+00:00"}
    >>> times = ReportTimes(lambda a, u: [(k, rows[k]) for k in rows if a < k <= u])
    >>> times.follow(2)
    >>> [int(t) for t in times.array()[1:]]
    [1793523600000000, 1793523599999999]
    """

    def __init__(self, read: Callable[[int, int], Iterable[tuple[int, str]]]) -> None:
        self._read = read
        self._times: IntArray = np.full(1, NEVER, dtype=np.int64)
        self.upto = 0  # times known for report keys 1..upto

    def follow(self, upto: int) -> None:
        """Read the times of the reports after those known, up to report key ``upto``."""
        if upto <= self.upto:
            return
        if upto >= len(self._times):
            grown = np.full(max(upto + 1, 2 * len(self._times)), NEVER, dtype=np.int64)
            grown[: len(self._times)] = self._times
            self._times = grown
        times = self._times
        for seq, at in self._read(self.upto, upto):
            times[seq] = instant(datetime.fromisoformat(at))
        self.upto = upto

    def array(self) -> IntArray:
        """The times by report key, 0 to ``upto`` (0 has none)."""
        return self._times[: self.upto + 1]


class Horizon:
    """Which reports a view as of ``at`` (`access.instant`) admits: those received at
    or before it. ``horizon[key]`` is 1 or 0; unknown keys are read on demand.

    >>> times = ReportTimes(lambda a, u: [(k, f"2026-11-0{k}T00:00:00+00:00")
    ...                                   for k in range(a + 1, u + 1)])
    >>> times.follow(3)
    >>> horizon = Horizon(times, int(times.array()[2]))
    >>> [horizon[k] for k in (1, 2, 3)], horizon.bits().tolist()
    ([1, 1, 0], [False, True, True, False])
    """

    def __init__(self, times: ReportTimes, at: int) -> None:
        self.times = times
        self.at = at
        self.ok = bytearray()

    def __getitem__(self, seq: int) -> int:
        ok = self.ok
        if seq >= len(ok):
            self._extend(seq)
        return ok[seq]

    def _extend(self, seq: int) -> None:
        self.times.follow(seq)
        times = self.times.array()
        self.ok += (times[len(self.ok):] <= self.at).astype(np.uint8).tobytes()

    def bits(self) -> BoolArray:
        """Admitted or not, by report key, for every report known to the times."""
        self._extend(self.times.upto)
        return np.frombuffer(bytes(self.ok), dtype=np.bool_)
