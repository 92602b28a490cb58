"""The GraphQL documents: ``schema`` (the SDL) and ``persisted`` (the safelist)."""

from __future__ import annotations

import argparse
from pathlib import Path

from graph_api.cli.common import _require_database, _settings


def cmd_schema(args: argparse.Namespace) -> int:
    from graph_api.api.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.out:
        Path(args.out).write_text(sdl)
        print(f"wrote {args.out}")
    else:
        print(sdl, end="")
    return 0


def cmd_persisted(args: argparse.Namespace) -> int:
    """The safelist (docs/limits.md): documents a server with GRAPH_API_PERSISTED_ONLY=1
    runs, known by their SHA-256."""
    from graph_api.api import safelist

    settings = _settings(args)
    _require_database(settings)
    if args.persisted_command == "add":
        lines = safelist.add(settings, safelist.read_documents([Path(f) for f in args.files]))
        added = sum(1 for line in lines if " added " in line)
        lines.append(f"{added} added, {len(lines) - added} already registered")
    elif args.persisted_command == "remove":
        lines = safelist.remove(settings, args.hashes)
    else:
        lines = safelist.listing(settings)
        lines.append(f"{len(lines)} registered")
    print("\n".join(lines))
    return 0
