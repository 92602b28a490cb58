"""The demo alliance: orgs, reports and tokens from ``fixtures/demo``."""

from __future__ import annotations

from pathlib import Path

import orjson

from graph_api.bulk import import_ndjson
from graph_api.model import OrgType
from graph_api.services import Services

__all__ = ["DEMO_ROLES", "load_demo"]

# The roles a demo org gets a token for, by org type.
DEMO_ROLES = {
    OrgType.BRAND: ("investigator",),
    OrgType.PLATFORM: ("investigator", "reviewer", "admin"),
    OrgType.REGULATOR: ("investigator", "liaison", "admin"),
}


def load_demo(services: Services, folder: Path) -> list[tuple[str, str, str]]:
    """Create the demo orgs and load the reports once; issue fresh tokens every time.

    Returns (org id, role, token) for each demo principal.
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
    )
    if summary.failed:
        raise ValueError(f"the demo fixture has {summary.failed} bad lines: {summary.errors[:3]}")
    tokens = []
    for item in orgs:
        org = services.find_org(item["id"])
        for role in DEMO_ROLES[org.type]:
            tokens.append((org.id, role, services.issue_token(org, role)[1]))
    return tokens
