"""Data in and out of a database: ``import`` (ReportInput NDJSON), ``generate`` (a
synthetic network to import), ``backup`` and ``restore``."""

from __future__ import annotations

import argparse
from pathlib import Path

from graph_api.cli.common import _services, _settings


def cmd_import(args: argparse.Namespace) -> int:
    from graph_api.bulk import default_parse_workers, import_ndjson

    services = _services(args, with_graph=args.alerts, create=True)  # detection reads the graph
    if args.token:
        scope, operator = services.authenticate(f"Bearer {args.token}"), False
    else:
        scope, operator = services.operator_scope(services.find_org(args.org)), True
    summary = import_ndjson(
        services,
        scope,
        Path(args.file),
        operator=operator,
        batch_rows=args.batch_rows,
        progress=not args.quiet,
        alerts=args.alerts,
        workers=default_parse_workers(services) if args.parse_workers is None
        else args.parse_workers,
    )
    print(summary.line())
    return 1 if summary.failed and not summary.imported else 0


def cmd_generate(args: argparse.Namespace) -> int:
    import orjson
    from rich.progress import Progress

    from graph_api.synthetic import orgs, write_network

    out = Path(args.out)
    out.with_suffix(".orgs.json").write_bytes(orjson.dumps(orgs(), option=orjson.OPT_INDENT_2))
    with Progress(transient=True) as bar:
        task = bar.add_task("generating sellers", total=args.sellers)
        truth = write_network(
            args.sellers, args.seed, out, progress=lambda done: bar.update(task, completed=done)
        )
    print(
        f"wrote {out}, {out.with_suffix('.orgs.json')} and {out.with_suffix('.truth.json')}: "
        f"{len(truth.rings)} ring members, {len(truth.banned)} banned sellers"
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from graph_api.backup import backup

    print(backup(_settings(args).db, Path(args.dest)).line())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from graph_api.backup import restore

    db = _settings(args).db
    info = restore(Path(args.src), db, force=args.force)
    print(f"restored {info.reports} reports and {len(info.files)} files into {db.parent}")
    return 0
