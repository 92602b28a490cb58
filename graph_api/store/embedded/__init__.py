"""The embedded store: SQLite (WAL) as the system of record, a networkx graph in memory.

``open(settings)`` is the backend's one entry (``graph_api.store.backend``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph_api.config import Settings
    from graph_api.store.backend import Backend

__all__ = ["open"]


def open(settings: Settings, with_graph: bool = True, create: bool = True) -> Backend:  # noqa: A001
    """The embedded store of ``settings.db`` with its records in the same file."""
    from graph_api.store.backend import Backend
    from graph_api.store.embedded.records import SqliteRecordStore
    from graph_api.store.embedded.store import MemoryStore

    store = MemoryStore(settings.db, with_graph=with_graph, create=create)
    return Backend(
        store=store,
        open_records=lambda clock: SqliteRecordStore(settings.db, clock),
        in_process=store,
        catch_up=store.catch_up,
    )
