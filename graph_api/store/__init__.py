"""Stores: the ``GraphStore`` protocol (``base``), the two backends (``embedded``,
``neo4j``), and ``open_backend``, the one place that picks one from the settings.

Nothing outside this package imports a backend's modules (pyproject's import
contracts): it gets a ``Backend`` (``store.backend``) and reads its fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph_api.config import Settings
    from graph_api.store.backend import Backend

__all__ = ["open_backend", "require_database"]


def open_backend(settings: Settings, with_graph: bool = True, create: bool = True) -> Backend:
    """The backend ``settings.store`` names. ``with_graph=False``: a bulk writer that
    keeps no graph in memory; ``create=False`` refuses (ValueError) a database that is
    not there yet instead of making it."""
    if settings.store == "neo4j":
        from graph_api.store import neo4j

        return neo4j.open(settings, create=create)
    if settings.store != "memory":
        raise ValueError(f"unknown store {settings.store!r}: memory or neo4j")
    from graph_api.store import embedded

    return embedded.open(settings, with_graph=with_graph, create=create)


def require_database(settings: Settings) -> None:
    """ValueError unless the embedded store's database is there (a Neo4j store's
    database is on its server: opening it says), for a command that makes none."""
    if settings.store == "memory":
        from graph_api.store.embedded.sqlite import require_database as require_file

        require_file(settings.db)
