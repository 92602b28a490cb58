"""``org add | load | list`` and ``token issue | revoke | list``: who may call the API."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from graph_api.cli.common import _services, _store
from graph_api.model import OrgType

MAX_TOKENS_AT_ONCE = 1000  # `token issue --count`


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


def cmd_org_list(args: argparse.Namespace) -> int:
    """Every org: id, type, trusted, name (a script takes the first column of the rows
    between the header and the count)."""
    store = _store(args)
    try:
        orgs = store.orgs()
    finally:
        store.close()
    rows = [("ID", "TYPE", "TRUSTED", "NAME")]
    rows += [(o.id, o.type.value, "yes" if o.trusted else "no", o.name) for o in orgs]
    _print_table(rows)
    print(f"{len(orgs)} orgs")
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    if not 1 <= args.count <= MAX_TOKENS_AT_ONCE:
        raise ValueError(f"--count: 1 to {MAX_TOKENS_AT_ONCE} tokens at once")
    services = _services(args, with_graph=False)
    org = services.find_org(args.org)
    for _ in range(args.count):
        _, token = services.issue_token(org, args.role)
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
    _print_table(rows)
    active = sum(r.revoked_at is None for r in records)
    print(f"{len(records)} principals, {active} with an active token")
    return 0


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())


def _minute(stored: str | None) -> str | None:
    """A stored UTC time to the minute, for a table (``2026-11-01 09:00Z``)."""
    if stored is None:
        return None
    return stored[:16].replace("T", " ") + "Z"
