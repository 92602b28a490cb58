"""Alerts: recidivism through a shared bank account, new sources, ring growth; the subscription."""

from __future__ import annotations

import asyncio
from typing import Any

from graph_api.services import Services
from graph_api.workflow import on_report_committed
from tests.workflow.support import SCHEMA, context, gql, ok
from tests.workflow.test_ladder import uphold

BANK = "DE89 3704 0044 0532 0130 00"
ALERTS = """query($kind: AlertKind) { alerts(kind: $kind) { id kind raisedAt subject { id }
  explanation { confidence nodes { id } relations { kind from { id } to { id } } } } }"""


def submit(services: Services, scope: Any, raw: dict[str, Any]) -> None:
    """What the lead's hook does: the report, then detection over its neighbourhood."""
    report = services.parse(scope, raw)
    result = services.store.submit(scope, report)
    if result.created:
        on_report_committed(services, scope, report)


def report(rid: str, marking: str, entities: list[Any], relations: list[Any]) -> dict[str, Any]:
    return {"reportId": rid, "source": "INVESTIGATION", "confidence": 0.8, "marking": marking,
            "entities": entities, "relations": relations}


def ban_seller_1(services: Services, world: dict[str, Any]) -> None:
    # The platform knows seller-1's bank account (AMBER: platform, regulators).
    submit(services, world["bazaar"], report("plat-bank", "AMBER", [
        {"id": "bank", "kind": "IDENTIFIER", "identifierKind": "BANK_ACCOUNT", "value": BANK},
    ], [{"kind": "USES", "from": "seller-1", "to": "bank", "confidence": 0.9}]))
    for listing in ("listing-1", "listing-2", "listing-3"):
        uphold(services, world, listing)


def new_storefront(services: Services, world: dict[str, Any]) -> None:
    # Rival finds a new storefront paying into the same account (AMBER: rival, platform, police).
    submit(services, world["rival"], report("rival-new", "AMBER", [
        {"id": "store-new", "kind": "STOREFRONT", "name": "Fresh Kicks", "status": "OPEN"},
        {"id": "acct", "kind": "IDENTIFIER", "identifierKind": "BANK_ACCOUNT", "value": BANK},
    ], [{"kind": "USES", "from": "store-new", "to": "acct", "confidence": 0.8}]))


def test_banned_sellers_new_storefront_raises_recidivism(
    services: Services, world: dict[str, Any]
) -> None:
    ban_seller_1(services, world)
    new_storefront(services, world)
    police = ok(gql(services, world["police"], ALERTS, {"kind": "RECIDIVISM"}))["alerts"]
    assert len(police) == 1
    alert = police[0]
    assert alert["subject"] == {"id": "store-new"}
    (path,) = alert["explanation"]
    nodes = [n["id"] for n in path["nodes"]]
    assert nodes[0] == "store-new" and nodes[2] == "seller-1" and nodes[1].startswith("idn-ba-")
    assert [r["kind"] for r in path["relations"]] == ["USES", "USES"]
    assert abs(path["confidence"] - 0.8 * 0.9) < 1e-9
    assert ok(gql(services, world["bazaar"], ALERTS, {}))["alerts"][0]["id"] == alert["id"]
    # Rival reported the storefront but cannot see the platform's USES: no alert for it.
    assert ok(gql(services, world["rival"], ALERTS, {}))["alerts"] == []
    assert ok(gql(services, world["acme"], ALERTS, {}))["alerts"] == []
    # The same fact again raises nothing new.
    submit(services, world["rival"], report("rival-again", "AMBER", [
        {"id": "store-new", "kind": "STOREFRONT", "name": "Fresh Kicks 2"}], []))
    assert len(ok(gql(services, world["police"], ALERTS, {}))["alerts"]) == 1


def test_the_subscription_receives_a_visible_alert(
    services: Services, world: dict[str, Any]
) -> None:
    ban_seller_1(services, world)
    query = "subscription { alertRaised { kind subject { id } explanation { nodes { id } } } }"

    async def run() -> tuple[Any, Any]:
        police = await SCHEMA.subscribe(query, context_value=context(services, world["police"]))
        acme = await SCHEMA.subscribe(query, context_value=context(services, world["acme"]))
        assert hasattr(police, "__anext__") and hasattr(acme, "__anext__")
        got = asyncio.ensure_future(police.__anext__())
        hidden = asyncio.ensure_future(acme.__anext__())
        await asyncio.sleep(0)
        new_storefront(services, world)
        result = await asyncio.wait_for(got, 5)
        await asyncio.sleep(0.05)
        acme_got = hidden.done()
        hidden.cancel()
        await police.aclose()
        return result, acme_got

    result, acme_got = asyncio.run(run())
    assert result.errors is None
    assert result.data["alertRaised"]["kind"] == "RECIDIVISM"
    assert result.data["alertRaised"]["subject"] == {"id": "store-new"}
    assert acme_got is False  # acme sees neither the storefront nor the account


def test_new_source_and_ring_growth(services: Services, world: dict[str, Any]) -> None:
    submit(services, world["bazaar"], report("plat-wh", "AMBER", [
        {"id": "wh-1", "kind": "WAREHOUSE", "name": "Putian depot"},
        {"id": "fac-1", "kind": "FACTORY", "name": "Jinjiang works"},
    ], [{"kind": "SHIPS_FROM", "from": "listing-1", "to": "wh-1", "confidence": 0.9},
        {"kind": "SUPPLIED_BY", "from": "wh-1", "to": "fac-1", "confidence": 0.5}]))
    found = ok(gql(services, world["bazaar"], ALERTS, {"kind": "NEW_SOURCE"}))["alerts"]
    assert sorted(a["subject"]["id"] for a in found) == ["fac-1", "wh-1"]
    fac = next(a for a in found if a["subject"]["id"] == "fac-1")
    assert [n["id"] for n in fac["explanation"][0]["nodes"]] == [
        "brand-acme", "listing-1", "wh-1", "fac-1"]
    # A second listing shipping from the same warehouse: no longer new for the brand.
    submit(services, world["bazaar"], report("plat-wh2", "AMBER", [], [
        {"kind": "SHIPS_FROM", "from": "listing-2", "to": "wh-1"}]))
    assert len(ok(gql(services, world["bazaar"], ALERTS, {"kind": "NEW_SOURCE"}))["alerts"]) == 2
    # Acme cannot see the platform's AMBER supply chain: no alert shows.
    assert ok(gql(services, world["acme"], ALERTS, {}))["alerts"] == []

    submit(services, world["police"], report("pol-ring", "AMBER", [
        {"id": "ring-1", "kind": "RING", "name": "Putian ring"}],
        [{"kind": "MEMBER_OF", "from": "seller-1", "to": "ring-1"}]))
    assert ok(gql(services, world["police"], ALERTS, {"kind": "RING_GROWTH"}))["alerts"] == []
    submit(services, world["police"], report("pol-ring-2", "AMBER", [],
                                             [{"kind": "MEMBER_OF", "from": "seller-2",
                                               "to": "ring-1"}]))
    grown = ok(gql(services, world["police"], ALERTS, {"kind": "RING_GROWTH"}))["alerts"]
    assert [(a["subject"]["id"], [n["id"] for n in a["explanation"][0]["nodes"]])
            for a in grown] == [("ring-1", ["seller-2", "ring-1"])]


def test_new_source_walks_down_exactly_as_the_brands_listings_walk_up() -> None:
    """``_was_upstream`` (one walk down from a source) agrees with the definition:
    the source is among the upstream sources of some listing infringing the brand,
    with the skipped relations left out — on random supply chains, random skips."""
    import random

    import networkx as nx

    from graph_api.workflow.alerts import _upstream, _was_upstream

    rng = random.Random(5)
    for _ in range(200):
        G = nx.MultiDiGraph()
        kinds = {"b": "BRAND", **{f"l{i}": "LISTING" for i in range(12)},
                 **{f"s{i}": "STOREFRONT" for i in range(4)},
                 **{f"w{i}": "WAREHOUSE" for i in range(10)},
                 **{f"f{i}": "FACTORY" for i in range(3)}}
        for node, kind in kinds.items():
            G.add_node(node, kind=kind)
        names = list(kinds)

        def pick(prefix: str, names: list[str] = names) -> str:
            return rng.choice([n for n in names if n[0] == prefix])

        for _ in range(8):  # storefronts list, listings infringe and ship, chains of supply
            G.add_edge(pick("s"), pick("l"), key="LISTS")
            G.add_edge(pick("l"), "b", key="INFRINGES")
            G.add_edge(pick(rng.choice("ls")), pick("w"), key="SHIPS_FROM")
        for i in range(9):  # a long chain w0 <- ... <- w9: walks up to and past six steps
            if rng.random() < 0.85:
                G.add_edge(f"w{i}", f"w{i + 1}", key="SUPPLIED_BY")
        for _ in range(4):
            G.add_edge(pick("w"), pick("f"), key="SUPPLIED_BY")
        for _ in range(8):  # noise in every direction
            u, v = rng.sample(names, 2)
            G.add_edge(u, v, key=rng.choice(["SHIPS_FROM", "SUPPLIED_BY", "LISTS"]))
        edges = [(u, v, k) for u, v, k in G.edges(keys=True)]
        skip = set(rng.sample(edges, 4))
        infringing = [n for n in G.pred["b"] if "INFRINGES" in G.pred["b"][n]
                      and (n, "b", "INFRINGES") not in skip and kinds[n] == "LISTING"]
        expected = set()
        for listing in infringing:
            expected |= set(_upstream(G, listing, skip))
        for source in names:
            if kinds[source] in ("WAREHOUSE", "FACTORY"):
                assert _was_upstream(G, source, "b", skip) == (source in expected), source


def test_bulk_import_with_alerts_raises_recidivism(
    services: Services, world: dict[str, Any], tmp_path: Any
) -> None:
    """``graph-api import --alerts``: a banned seller's comeback arriving in an NDJSON
    file raises the same alert as when it is submitted; without the flag, none."""
    import orjson

    from graph_api.bulk import import_ndjson

    ban_seller_1(services, world)
    lines = tmp_path / "comeback.ndjson"
    comeback = report("bulk-new", "AMBER", [
        {"id": "store-bulk", "kind": "STOREFRONT", "name": "Bulk Kicks", "status": "OPEN"},
        {"id": "acct", "kind": "IDENTIFIER", "identifierKind": "BANK_ACCOUNT", "value": BANK},
    ], [{"kind": "USES", "from": "store-bulk", "to": "acct", "confidence": 0.8}])
    quiet = dict(comeback, reportId="bulk-quiet", entities=[
        {**comeback["entities"][0], "id": "store-quiet"}, comeback["entities"][1]],
        relations=[{**comeback["relations"][0], "from": "store-quiet"}])
    lines.write_bytes(orjson.dumps(quiet) + b"\n")
    operator = services.operator_scope(services.find_org(world["bazaar"].org_id))
    summary = import_ndjson(services, operator, lines, operator=True, progress=False)
    assert summary.imported == 1 and summary.alerts == 0
    lines.write_bytes(orjson.dumps(comeback) + b"\n")
    summary = import_ndjson(services, operator, lines, operator=True, progress=False,
                            alerts=True)
    # The account is touched again: the comeback, and the quiet one through it, are found,
    # each by the platform and by the regulator in its own view (alerts are per org).
    assert summary.imported == 1 and summary.alerts == 4, summary
    assert summary.line().endswith(", 4 alerts raised")
    police = ok(gql(services, world["police"], ALERTS, {"kind": "RECIDIVISM"}))["alerts"]
    assert sorted(a["subject"]["id"] for a in police) == ["store-bulk", "store-quiet"]
