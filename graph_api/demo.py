"""The demo alliance: orgs, reports and tokens from ``fixtures/demo``.

``load_demo`` makes the orgs and imports the reports once, with alert detection
(so the RECIDIVISM alert of ``fixtures/README.md`` exists), and hands out one
token per org and role. The tokens are kept in the database's own folder (mode
0600, with its other secrets) so that ``serve --demo`` on an existing demo
database prints the same tokens again: a browser tab or a script holding one
keeps working. A kept token that no longer authenticates (revoked by ``graph-api token revoke``)
is replaced by a new one.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from graph_api.bulk import import_ndjson
from graph_api.errors import Unauthenticated
from graph_api.keyfiles import write_private
from graph_api.model import OrgType
from graph_api.services import Services

__all__ = ["DEMO_ROLES", "DemoToken", "demo_banner", "load_demo", "tokens_file"]

# Every role an org of each type may hold (DESIGN "Roles"): a token for each.
DEMO_ROLES = {
    OrgType.BRAND: ("investigator", "analyst", "admin"),
    OrgType.PLATFORM: ("investigator", "analyst", "reviewer", "admin"),
    OrgType.REGULATOR: ("investigator", "analyst", "liaison", "admin"),
}

DemoToken = tuple[str, str, str]
"""(org id, role, token)."""


def tokens_file(services: Services) -> Path:
    """Where a database's demo tokens are kept: with its other secrets, in its own folder."""
    return services.settings.secrets_dir / "demo-tokens.json"


def load_demo(services: Services, folder: Path) -> list[DemoToken]:
    """Create the demo orgs and load the reports once (alerts detected as they load);
    the demo tokens kept from an earlier start, or new ones.

    Returns (org id, role, token) for each demo org and role.
    """
    known = {o.id for o in services.store.orgs()}
    orgs = orjson.loads((folder / "orgs.json").read_bytes())
    for item in orgs:
        if item["id"] not in known:
            services.add_org(
                item["name"], OrgType(item["type"]), bool(item.get("trusted")), item["id"]
            )
    first = services.find_org(orgs[0]["id"])
    summary = import_ndjson(
        services,
        services.operator_scope(first),
        folder / "reports.ndjson",
        operator=True,
        progress=False,
        alerts=True,
    )
    if summary.failed:
        raise ValueError(f"the demo fixture has {summary.failed} bad lines: {summary.errors[:3]}")
    kept = _kept(services)
    tokens: list[DemoToken] = []
    for item in orgs:
        org = services.find_org(item["id"])
        for role in DEMO_ROLES[org.type]:
            token = kept.get((org.id, role))
            if token is None:
                token = services.issue_token(org, role)[1]
            tokens.append((org.id, role, token))
    if [t for t in tokens if kept.get((t[0], t[1])) != t[2]]:
        _keep(services, tokens)
    return tokens


def _kept(services: Services) -> dict[tuple[str, str], str]:
    """The kept tokens that still authenticate as the org and role they were made for."""
    try:
        items = orjson.loads(tokens_file(services).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return {}
    out = {}
    for item in items:
        try:
            scope = services.authenticate(f"Bearer {item['token']}")
        except Unauthenticated:
            continue
        if (scope.org_id, scope.role) == (item["org"], item["role"]):
            out[(item["org"], item["role"])] = item["token"]
    return out


def _keep(services: Services, tokens: list[DemoToken]) -> None:
    path = tokens_file(services)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    write_private(fresh, orjson.dumps(
        [{"org": org, "role": role, "token": token} for org, role, token in tokens],
        option=orjson.OPT_INDENT_2,
    ))
    os.replace(fresh, path)


def demo_banner(tokens: list[DemoToken], base_url: str) -> str:
    """What ``serve --demo`` prints: every token, and where to use it."""
    lines = ['Demo tokens (paste one into the explorer, or into GraphiQL\'s headers as '
             '{"Authorization": "Bearer TOKEN"}):']
    lines += [f"  {org:<16} {role:<13} {token}" for org, role, token in tokens]
    lines += [
        f"Explorer: {base_url}/explore",
        f"GraphiQL: {base_url}/graphql",
    ]
    return "\n".join(lines)
