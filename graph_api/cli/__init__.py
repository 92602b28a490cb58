"""``graph-api``: serve, org, token, import, generate, and the operator's tools.

Every subcommand takes ``--db PATH`` and prints what a script needs on its
last line. Only ``serve``, ``org add``, ``org load``, ``import`` and ``restore``
make a database; every other command refuses one that is not there, and the
commands that only read or verify (``verify``, ``audit verify``, ``export-key``)
make nothing at all, not even a key.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from graph_api.cli.data import cmd_backup, cmd_generate, cmd_import, cmd_restore
from graph_api.cli.orgs import (
    MAX_TOKENS_AT_ONCE,
    cmd_org_add,
    cmd_org_list,
    cmd_org_load,
    cmd_token_issue,
    cmd_token_list,
    cmd_token_revoke,
)
from graph_api.cli.schema import cmd_persisted, cmd_schema
from graph_api.cli.serve import cmd_serve, cmd_sweep
from graph_api.cli.verify import cmd_audit_head, cmd_audit_verify, cmd_export_key, cmd_verify
from graph_api.config import parse_seconds
from graph_api.errors import GraphAPIError
from graph_api.model import OrgType

__all__ = ["main"]

Command = Callable[[argparse.Namespace], int]


# -- parser ------------------------------------------------------------------------
def _seconds(text: str) -> float:
    try:
        return parse_seconds("--analytics-max-age", text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    serve.add_argument("--recycle-worker-at", type=float, default=None, metavar="FRACTION",
                       help="with --workers on the embedded store: replace a worker once "
                            "the pages it no longer shares exceed this fraction of the "
                            "loaded graph's (default: 0.5 and 1 GiB at least, plus 1 GiB for "
                            "its views' snapshots; 0: never)")
    serve.add_argument("--analytics-max-age", type=_seconds, default=None, metavar="SECONDS",
                       help="answer rings, topSources, hotspots... computed at most this long "
                            "ago at once while the view's newer version is computed in the "
                            "background (default $GRAPH_API_ANALYTICS_MAX_AGE, else 0: always "
                            "exact; docs/link-analysis.md)")
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
    olist = org.add_parser("list", parents=[common], help="every org: id, type, trusted, name")
    olist.set_defaults(run=cmd_org_list)

    token = sub.add_parser("token", help="manage tokens").add_subparsers(
        dest="token_command", required=True
    )
    issue = token.add_parser("issue", parents=[common], help="issue a token; prints it once")
    issue.add_argument("--org", required=True, help="org name or id")
    issue.add_argument("--role", required=True)
    issue.add_argument("--count", type=int, default=1, metavar="N",
                       help=f"issue N tokens (1-{MAX_TOKENS_AT_ONCE}), each its own principal: "
                            "one per line")
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
