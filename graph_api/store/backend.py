"""A store as the service gets it: one ``open`` per backend, what it can do typed.

Each backend is a package (``graph_api.store.embedded``, ``graph_api.store.neo4j.store``)
whose ``open(settings)`` returns a ``Backend``: the ``GraphStore`` every read and
write goes through, where the workflow's records live, and the optional
capabilities as typed fields, ``None`` where the backend has none. Nothing asks a
store what it can do with ``getattr`` or ``isinstance``: a caller reads the field.
``graph_api.store.open_backend`` is the one place that picks the backend from the
settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from graph_api.store.base import AuditAhead, GraphStore, WriteAhead
from graph_api.store.records import RecordStore

if TYPE_CHECKING:
    import networkx as nx

    from graph_api.access import Scope
    from graph_api.store.columns import FactColumns
    from graph_api.store.masks import VisibilityMask
    from graph_api.store.visible import VisibleGraph

__all__ = ["Backend", "Clock", "GraphInProcess"]

Clock = Callable[[], datetime]


class GraphInProcess(Protocol):
    """A store whose graph lives in this process and is changed by its event loop
    (the embedded store): a whole view is read from its fact columns, copied for the
    thread that reads them, and followed over its changes after a write; its
    connection is closed before a fork and opened again in each worker."""

    graph: nx.MultiDiGraph
    columns: FactColumns | None
    classes: list[Any]
    with_graph: bool

    def mask(self, scope: Scope) -> VisibilityMask: ...

    def visible(self, scope: Scope) -> VisibleGraph: ...

    def changes_since(self, version: int) -> tuple[set[str], set[tuple[str, str]]] | None:
        """Entities and relation pairs changed after ``version`` (None: unknown)."""
        ...


    def before_fork(self) -> None: ...

    def after_fork(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Backend:
    """One opened store and what it can do beyond ``GraphStore``."""

    store: GraphStore
    open_records: Callable[[Clock], RecordStore]  # the workflow's records, on first use
    # the graph in this process (embedded): whole views from its columns, pre-fork workers
    in_process: GraphInProcess | None = None
    # follows what other processes commit to its file (embedded): ``serve`` polls it
    catch_up: Callable[[], int] | None = None
    # its writes wait on a server (Neo4j): an import writes on a thread of its own and
    # parses in this process
    overlaps_writes: bool = False
    # checks a batch without writing it, so that an overlapping import checks batch n+1
    # while batch n is written (Neo4j)
    write_ahead: WriteAhead | None = None
    # begins a query's audit record before the query runs (Neo4j)
    audit_ahead: AuditAhead | None = None
