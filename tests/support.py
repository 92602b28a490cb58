"""Test helpers: run GraphQL in-process the way the server does, load NDJSON lines."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from graph_api.access import Scope, VisibilityClass, may_see
from graph_api.api.context import Context
from graph_api.api.operations import Operations
from graph_api.api.schema import build_schema, error_extensions
from graph_api.config import Settings
from graph_api.model import Marking
from graph_api.services import Services

SCHEMA = build_schema()
OPERATIONS = Operations(SCHEMA, Settings())


def gql(
    services: Services, scope: Scope | None, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Execute like POST /graphql: {"data": ..., "errors": [{"message", "extensions"}],
    "extensions": ...}."""
    context = Context(services=services)
    context._scope = scope

    result = asyncio.run(OPERATIONS.run(context, query, variables))
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [
            {"message": e.message, "extensions": error_extensions(e), "path": e.path}
            for e in result.errors
        ]
    if result.extensions:
        out["extensions"] = result.extensions
    return out


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors", [])]


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def visible_lines(
    lines: Iterable[dict[str, Any]], scope: Scope, default_org: str
) -> list[dict[str, Any]]:
    """The reports a caller may see: what a store holding only its view would be loaded with."""
    out = []
    for line in lines:
        vc = VisibilityClass(
            line.get("reportedBy", default_org),
            Marking(line["marking"]),
            frozenset(line.get("sharedWith") or []),
        )
        if may_see(vc, scope.org_id, scope.org_type):
            out.append(line)
    return out


def write_lines(path: Path, lines: Iterable[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path
