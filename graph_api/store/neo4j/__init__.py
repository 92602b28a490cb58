"""The scale-out store: Neo4j through the official driver, its Cypher in ``cypher/``.

``open(settings)`` is the backend's one entry (``graph_api.store.backend``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph_api.config import Settings
    from graph_api.store.backend import Backend

__all__ = ["open"]


def open(settings: Settings, create: bool = True) -> Backend:  # noqa: A001
    """The Neo4j store of ``settings`` with its workflow records beside the graph
    (every replica shares them)."""
    from graph_api.store.backend import Backend
    from graph_api.store.neo4j.records import Neo4jRecordStore
    from graph_api.store.neo4j.store import Neo4jStore

    store = Neo4jStore(settings, create=create)
    return Backend(
        store=store,
        open_records=lambda clock: Neo4jRecordStore(
            store.driver, store.database, store.bookmarks, clock),
        overlaps_writes=True,
        write_ahead=store,
        audit_ahead=store,
    )
