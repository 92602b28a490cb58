"""``graph-api``: serve, org, token, import, generate, and the operator's tools.

Every subcommand takes ``--db PATH`` and prints what a script needs on its
last line. Only ``serve``, ``org add``, ``org load``, ``import`` and ``restore``
make a database; every other command refuses one that is not there, and the
commands that only read or verify (``verify``, ``audit verify``, ``export-key``)
make nothing at all, not even a key.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graph_api.config import Settings
from graph_api.errors import GraphAPIError
from graph_api.model import OrgType

__all__ = ["main"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
Command = Callable[[argparse.Namespace], int]


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        db=Path(args.db) if args.db else None,
        store=getattr(args, "store", None),
        neo4j_uri=getattr(args, "neo4j_uri", None),
        neo4j_user=getattr(args, "neo4j_user", None),
        neo4j_password=getattr(args, "neo4j_password", None),
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


# -- serve -------------------------------------------------------------------
# An idle connection is closed by the server only after clients have given it up:
# httpx and most pools drop theirs after 5 s (uvicorn's default too), and when both
# sides time out together a request sent as the server closes is reset (ReadError).
KEEP_ALIVE_SECONDS = 75


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from graph_api.api.app import create_app

    if args.workers < 1:
        raise ValueError("--workers must be 1 or more")
    services = _services(args, create=True)
    if args.demo:
        from graph_api.demo import demo_banner, load_demo

        tokens = load_demo(services, FIXTURES / "demo")
        print(demo_banner(tokens, f"http://{args.host}:{args.port}"))
    if args.workers > 1 and services.settings.store == "memory":
        return _serve_forked(services, args)
    print(f"serving http://{args.host}:{args.port}/graphql", flush=True)
    # Access lines are INFO and the server logs from WARNING: none was ever written, but
    # uvicorn formatted each one's arguments per request (access_log=False skips that).
    if args.workers > 1:
        # Neo4j: the graph is the database's, so each uvicorn worker opens its own store
        # and catches up before every read: a write acknowledged by one worker is seen
        # by the next read on any.
        settings = services.settings
        os.environ.update(GRAPH_API_DB=str(settings.db.resolve()), GRAPH_API_STORE=settings.store,
                          GRAPH_API_NEO4J_URI=settings.neo4j_uri,
                          GRAPH_API_NEO4J_USER=settings.neo4j_user,
                          GRAPH_API_NEO4J_PASSWORD=settings.neo4j_password)
        services.close()
        uvicorn.run("graph_api.api.app:app_from_env", factory=True, workers=args.workers,
                    host=args.host, port=args.port, log_level="warning",
                    timeout_keep_alive=KEEP_ALIVE_SECONDS, access_log=False)
        return 0
    uvicorn.run(create_app(services), host=args.host, port=args.port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_SECONDS, access_log=False)
    return 0


def _serve_forked(services: Any, args: argparse.Namespace) -> int:
    """The embedded store's graph loaded once here, then shared by ``--workers``
    processes forked from this one (graph_api.prefork), all serving one socket."""
    from graph_api.api.app import create_app
    from graph_api.prefork import (
        Workers,
        forked,
        listening_socket,
        owned_bytes,
        ready_to_fork,
        serve_on,
    )

    if args.recycle_worker_at < 0:
        raise ValueError("--recycle-worker-at must be 0 (never) or more")
    sock = listening_socket(args.host, args.port)
    ready_to_fork(services)
    recycle = int(args.recycle_worker_at * owned_bytes(os.getpid(), "Rss"))

    def work() -> None:
        forked(services)
        serve_on(sock, create_app(services), log_level="warning",
                 timeout_keep_alive=KEEP_ALIVE_SECONDS, access_log=False)

    print(f"serving http://{args.host}:{args.port}/graphql with {args.workers} workers "
          f"(process {os.getpid()} holds the graph they share)", flush=True)
    status = Workers(args.workers, work, recycle_bytes=recycle).run()
    sock.close()
    print("stopped", flush=True)
    return status


# -- orgs and tokens -----------------------------------------------------------
def cmd_org_add(args: argparse.Namespace) -> int:
    services = _services(args, with_graph=False, create=True)
    org = services.add_org(args.name, OrgType(args.type), args.trusted, args.id)
    print(org.id)
    return 0


def cmd_org_load(args: argparse.Namespace) -> int:
    """Add every org of a JSON list ({id, name, type, trusted}) that is not there yet."""
    import orjson

    services = _services(args, with_graph=False, create=True)
    known = {o.id for o in services.store.orgs()}
    added = 0
    for item in orjson.loads(Path(args.file).read_bytes()):
        if item["id"] not in known:
            services.add_org(
                item["name"], OrgType(item["type"]), bool(item.get("trusted")), item["id"]
            )
            added += 1
    print(f"added {added} orgs")
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    services = _services(args, with_graph=False)
    _, token = services.issue_token(services.find_org(args.org), args.role)
    print(token)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    """Revoke by principal id (``token list``) or by the token itself."""
    from graph_api.services import hash_token

    services = _services(args, with_graph=False)
    try:
        given = args.principal.strip()
        principal = services.store.principal(given)
        if principal is None:  # the token itself? (never echoed: it may be a live one)
            principal = services.store.principal_by_token_hash(hash_token(given))
            if principal is None:
                raise ValueError("no active principal with that id or token "
                                 "(graph-api token list shows them)")
        if not services.revoke(principal.id):
            raise ValueError(f"no active principal {principal.id!r}: revoked already")
    finally:
        services.close()
    print(f"revoked {principal.id}")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    """Every principal: id, org, role, created, last used (its newest audit record),
    revoked; never a token (only their hashes are stored)."""
    store = _store(args)
    try:
        org = None
        if args.org:
            found = [o for o in store.orgs() if args.org in (o.id, o.name)]
            if not found:
                raise ValueError(f"no org {args.org!r}")
            org = found[0].id
        records = store.principal_records(org)
    finally:
        store.close()
    rows = [("PRINCIPAL", "ORG", "ROLE", "CREATED", "LAST USED", "REVOKED")]
    rows += [(r.id, r.org_id, r.role, _minute(r.created_at) or "?",
              _minute(r.last_used) or "never", _minute(r.revoked_at) or "-") for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
    active = sum(r.revoked_at is None for r in records)
    print(f"{len(records)} principals, {active} with an active token")
    return 0


def _minute(stored: str | None) -> str | None:
    """A stored UTC time to the minute, for a table (``2026-11-01 09:00Z``)."""
    if stored is None:
        return None
    return stored[:16].replace("T", " ") + "Z"


# -- import and generate ---------------------------------------------------------
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


def cmd_sweep(args: argparse.Namespace) -> int:
    from graph_api.workflow import sweep_command

    services = _services(args)
    try:
        print(sweep_command(services, args.now))
    finally:
        services.close()
    return 0


def cmd_export_key(args: argparse.Namespace) -> int:
    from graph_api.export.keys import key_fingerprint, load_public_key

    settings = _settings(args)
    _require_database(settings)
    pem = load_public_key(settings.secrets_dir)
    print(pem.decode(), end="")
    print(f"fingerprint {key_fingerprint(pem)}", file=sys.stderr)
    return 0


def _verifying_key(args: argparse.Namespace) -> tuple[bytes, str]:
    """The public key a package is checked against, and where it came from: named by the
    verifier (``--key``, ``--url``, ``--db`` or ``$GRAPH_API_DB``), never made up."""
    from graph_api.export.keys import key_fingerprint, load_public_key
    from graph_api.export.verify import fetch_public_key

    named = [flag for flag, value in (("--key", args.key), ("--url", args.url),
                                      ("--db", args.db)) if value]
    if len(named) > 1:
        raise ValueError(f"give one key to check against, not {' and '.join(named)}")
    if args.key:
        try:
            pem = Path(args.key).read_bytes()
            key_fingerprint(pem)
        except OSError as exc:
            raise ValueError(f"cannot read --key {args.key}: {exc.strerror}") from None
        except ValueError:
            raise ValueError(f"--key {args.key} is not an Ed25519 public key PEM") from None
        return pem, f"--key {args.key}"
    if args.url:
        return fetch_public_key(args.url), f"--url {args.url}"
    if args.db or os.environ.get("GRAPH_API_DB"):
        settings = _settings(args)
        _require_database(settings)
        return load_public_key(settings.secrets_dir), f"the signing key of {settings.db}"
    raise ValueError(
        "verify needs the public key the package was signed with: --key PEM (the "
        "exporter's, from `graph-api export-key` or GET /export-key), --db of the "
        "exporting server's database, or --url of its /export-key; nothing was checked")


def cmd_verify(args: argparse.Namespace) -> int:
    from graph_api.export.keys import key_fingerprint
    from graph_api.export.verify import verify_package

    pem, source = _verifying_key(args)
    print(f"checking against key {key_fingerprint(pem)} ({source})")
    problems = verify_package(Path(args.package), pem)
    for problem in problems:
        print(problem)
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in {args.package}")
        return 1
    print(f"OK: every file hash and the signature of {args.package} hold")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from graph_api.audit import verify_chain
    from graph_api.checkpoints import anchor_problems, fetch_checkpoint, load_checkpoints
    from graph_api.export.keys import load_public_key

    checkpoints = [c for path in args.checkpoint or [] for c in load_checkpoints(Path(path))]
    if args.url:
        token = args.token or os.environ.get("GRAPH_API_METRICS_TOKEN")
        checkpoints.append(fetch_checkpoint(args.url, token))
    store = _store(args)
    try:
        records = store.audit_records()
    finally:
        store.close()
    checked, broken = verify_chain(records)
    if broken is not None:
        print(f"audit chain BROKEN at record {broken} ({checked} records before it hold)")
        return 1
    if not checkpoints:
        print(f"audit chain intact: {checked} records")
        return 0
    problems = anchor_problems(records, checkpoints,
                               load_public_key(_settings(args).secrets_dir))
    for problem in problems:
        print(problem)
    if problems:
        print(f"audit chain CUT OR REWRITTEN: {len(problems)} of {len(checkpoints)} "
              f"checkpoint(s) do not hold ({checked} records)")
        return 1
    print(f"audit chain intact: {checked} records; {len(checkpoints)} checkpoint(s) hold")
    return 0


def cmd_audit_head(args: argparse.Namespace) -> int:
    """Sign a checkpoint of the ledger's head now and keep it in the server's file."""
    import orjson

    from graph_api.checkpoints import take_checkpoint
    from graph_api.export.keys import load_signing_key

    services = _services(args, with_graph=False)
    try:
        key = load_signing_key(services.settings.secrets_dir)
        checkpoint = take_checkpoint(services, key)
    finally:
        services.close()
    print(f"the ledger's head: record {checkpoint['seq']} ({checkpoint['at']}), signed by "
          f"key {checkpoint['key']}; keep this line where the ledger's writers cannot reach",
          file=sys.stderr)
    print(orjson.dumps(checkpoint).decode())
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


# -- parser ------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graph-api", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="SQLite file (default $GRAPH_API_DB, else ./data/graph.db)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="serve GraphQL over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--store", choices=["memory", "neo4j"])
    serve.add_argument("--neo4j-uri")
    serve.add_argument("--neo4j-user")
    serve.add_argument("--neo4j-password")
    serve.add_argument("--demo", action="store_true", help="load the demo network, print tokens")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes; on the embedded store they share one graph "
                            "loaded before they start (docs/deploy.md)")
    serve.add_argument("--recycle-worker-at", type=float, default=0.5, metavar="FRACTION",
                       help="with --workers on the embedded store: replace a worker once "
                            "the pages it no longer shares exceed this fraction of the "
                            "loaded graph's (default 0.5; 0: never)")
    serve.set_defaults(run=cmd_serve)

    org = sub.add_parser("org", help="manage orgs").add_subparsers(
        dest="org_command", required=True
    )
    add = org.add_parser("add", parents=[common], help="add an org; prints its id")
    add.add_argument("name")
    add.add_argument("--type", required=True, choices=[t.value for t in OrgType])
    add.add_argument("--trusted", action="store_true", help="a trusted notifier")
    add.add_argument("--id", help="the org id (default: made from the name)")
    add.set_defaults(run=cmd_org_add)

    load = org.add_parser("load", parents=[common], help="add the orgs of a JSON list")
    load.add_argument("file")
    load.set_defaults(run=cmd_org_load)

    token = sub.add_parser("token", help="manage tokens").add_subparsers(
        dest="token_command", required=True
    )
    issue = token.add_parser("issue", parents=[common], help="issue a token; prints it once")
    issue.add_argument("--org", required=True, help="org name or id")
    issue.add_argument("--role", required=True)
    issue.set_defaults(run=cmd_token_issue)
    revoke = token.add_parser("revoke", parents=[common], help="revoke a principal's token")
    revoke.add_argument("principal", help="the principal id (token list) or the token itself")
    revoke.set_defaults(run=cmd_token_revoke)
    listed = token.add_parser("list", parents=[common],
                              help="every principal: org, role, created, last used, revoked")
    listed.add_argument("--org", help="org name or id")
    listed.set_defaults(run=cmd_token_list)

    imp = sub.add_parser("import", parents=[common], help="bulk-load ReportInput NDJSON")
    imp.add_argument("file")
    who = imp.add_mutually_exclusive_group(required=True)
    who.add_argument("--token")
    who.add_argument(
        "--org",
        help="import as a local operator for this org (lines may name another org in reportedBy)",
    )
    imp.add_argument("--store", choices=["memory", "neo4j"])
    imp.add_argument("--neo4j-uri")
    imp.add_argument("--neo4j-user")
    imp.add_argument("--neo4j-password")
    imp.add_argument("--batch-rows", type=int, default=50_000, help="rows per transaction")
    imp.add_argument("--parse-workers", type=int,
                     help="processes parsing a file of 16 MB or more while this one writes; "
                     "0 parses in this process (default: one per core into the embedded "
                     "store, 0 into Neo4j)")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.add_argument("--alerts", action="store_true",
                     help="raise RECIDIVISM, NEW_SOURCE and RING_GROWTH alerts for the new "
                          "reports, as submitReport does (loads the graph; slower)")
    imp.set_defaults(run=cmd_import)

    gen = sub.add_parser("generate", help="write a synthetic alliance network as NDJSON")
    gen.add_argument("--sellers", type=int, required=True)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", required=True)
    gen.set_defaults(run=cmd_generate, db=None)
    sweep = sub.add_parser("sweep", parents=[common], help="uphold notices past their deadline")
    sweep.add_argument("--now", help="ISO-8601 time (default: now; no zone = UTC)")
    sweep.set_defaults(run=cmd_sweep)

    key = sub.add_parser("export-key", parents=[common], help="print the export signing public key")
    key.set_defaults(run=cmd_export_key)
    check = sub.add_parser("verify", parents=[common], help="check a case package's hashes and "
                           "signature against the exporter's key (--key, --db or --url)")
    check.add_argument("package")
    check.add_argument("--key", help="the exporter's public key PEM")
    check.add_argument("--url", help="the exporting server's address or its /export-key URL")
    check.set_defaults(run=cmd_verify)

    audit = sub.add_parser("audit", help="the audit ledger").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", parents=[common], help="check the hash chain (and that "
                              "no record after a checkpoint was cut)")
    verify.add_argument("--checkpoint", action="append", metavar="FILE",
                        help="checkpoints to hold the ledger to: `audit head` lines, the "
                             "server's audit-checkpoints.jsonl, or a case package (its org's); "
                             "repeatable")
    verify.add_argument("--url", help="the server's address or its /audit-head: its head now")
    verify.add_argument("--token", help="for --url: a PLATFORM admin's token or "
                        "GRAPH_API_METRICS_TOKEN (default: $GRAPH_API_METRICS_TOKEN)")
    verify.set_defaults(run=cmd_audit_verify)
    head = audit.add_parser("head", parents=[common],
                            help="sign a checkpoint of the ledger's head; prints it")
    head.set_defaults(run=cmd_audit_head)

    save = sub.add_parser("backup", parents=[common],
                          help="consistent online backup of the database and its secrets")
    save.add_argument("dest", help="a new or empty folder")
    save.set_defaults(run=cmd_backup)
    back = sub.add_parser("restore", parents=[common], help="restore a backup folder to --db")
    back.add_argument("src", help="a folder written by `graph-api backup`")
    back.add_argument("--force", action="store_true",
                      help="replace an existing database and differing secrets")
    back.set_defaults(run=cmd_restore)

    persisted = sub.add_parser("persisted", help="the safelist of documents (docs/limits.md)"
                               ).add_subparsers(dest="persisted_command", required=True)
    padd = persisted.add_parser("add", parents=[common], help="register .graphql files or "
                                "Apollo persisted query manifests (.json) by their SHA-256")
    padd.add_argument("files", nargs="+")
    padd.set_defaults(run=cmd_persisted)
    plist = persisted.add_parser("list", parents=[common], help="every registered document")
    plist.set_defaults(run=cmd_persisted)
    premove = persisted.add_parser("remove", parents=[common],
                                   help="unregister documents (a server forgets them at restart)")
    premove.add_argument("hashes", nargs="+", metavar="SHA256")
    premove.set_defaults(run=cmd_persisted)

    schema = sub.add_parser("schema", help="print the GraphQL SDL (docs/schema.graphql)")
    schema.add_argument("--out", help="write it to this file")
    schema.set_defaults(run=cmd_schema, db=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args)
    except (GraphAPIError, ValueError) as exc:
        message = exc.message if isinstance(exc, GraphAPIError) else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback
        print("interrupted: what was committed stays; an import run again counts the "
              "reports already stored as unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
