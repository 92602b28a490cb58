"""What every command shares: the settings, services or store of ``--db``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from graph_api.config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        db=Path(args.db) if args.db else None,
        store=getattr(args, "store", None),
        neo4j_uri=getattr(args, "neo4j_uri", None),
        neo4j_user=getattr(args, "neo4j_user", None),
        neo4j_password=getattr(args, "neo4j_password", None),
        analytics_max_age=getattr(args, "analytics_max_age", None),
    )


def _services(args: argparse.Namespace, with_graph: bool = True, create: bool = False) -> Any:
    """Services over the database of ``args``, the workflow started on them; unless
    ``create``, the database must exist."""
    from graph_api.services import Services
    from graph_api.workflow import start_workflow

    return start_workflow(Services.open(_settings(args), with_graph=with_graph, create=create))


def _store(args: argparse.Namespace) -> Any:
    """The store of an existing database, for a command that only reads: no secret is
    read or made."""
    from graph_api.store import open_backend

    return open_backend(_settings(args), with_graph=False, create=False).store


def _require_database(settings: Settings) -> None:
    from graph_api.store import require_database

    require_database(settings)
