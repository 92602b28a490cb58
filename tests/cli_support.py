"""``graph-api`` run in this process against a test's store, for the CLI's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from graph_api.cli import main
from graph_api.services import Services

__all__ = ["Run", "cli_over"]

Run = Callable[..., tuple[int, str, str]]


def cli_over(services: Services, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """``run(*argv)``: (status, stdout, stderr) of ``graph-api argv --db DB``, with the
    store settings of ``services`` in the environment (as an operator's shell has them)."""
    settings = services.settings
    monkeypatch.delenv("GRAPH_API_DB", raising=False)
    monkeypatch.setenv("GRAPH_API_STORE", settings.store)
    monkeypatch.setenv("GRAPH_API_NEO4J_URI", settings.neo4j_uri)
    monkeypatch.setenv("GRAPH_API_NEO4J_USER", settings.neo4j_user)
    monkeypatch.setenv("GRAPH_API_NEO4J_PASSWORD", settings.neo4j_password)
    monkeypatch.setenv("GRAPH_API_NEO4J_DATABASE", settings.neo4j_database)

    def call(*argv: str) -> tuple[int, str, str]:
        status = main([*argv, "--db", str(settings.db)])
        out, err = capsys.readouterr()
        return status, out, err

    yield call
