"""A case package's content is the same from either store."""

from __future__ import annotations

from pathlib import Path

from graph_api.export.case_view import build_case_view
from graph_api.export.view import counts
from graph_api.workflow.cases import open_case
from tests.api.test_analytics_api import DEMO, demo_store, scope_of
from tests.conftest import MakeServices

CASE = ["store-luxe-bag-vault", "listing-mv-celeste-01", "wh-guangzhou-baiyun",
        "listing-sw-trailsurge-02"]


def test_case_view_from_the_exporters_view(
    make_services: MakeServices, store_kind: str, tmp_path: Path
) -> None:
    services = demo_store(make_services, store_kind, DEMO, tmp_path / "s", "s")
    liaison = scope_of(services, "ipcu", "liaison")
    case = open_case(services, liaison, "Baiyun bags", CASE)
    view = build_case_view(services, liaison, case, "Det. Chen")
    ids = {e.id for e in view.entities}
    assert set(CASE) <= ids
    assert "factory-huadu-atelier" not in ids  # Maison Verel's AMBER_STRICT: not the police's
    assert "factory-putian-huangshi" not in ids  # Stridewell's RED
    assert all(r.source in ids and r.target in ids for r in view.relations)
    assert counts(view)["entities"] == len(ids) and view.relations
    platform = scope_of(services, "bazaarhub", "admin")
    wider = build_case_view(services, platform, {**case, "org": "bazaarhub"}, "x")
    assert "factory-huadu-atelier" in {e.id for e in wider.entities}
