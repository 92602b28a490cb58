"""Several views' snapshots kept at once, least recently asked out (`KeptViews`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import graph_api.analytics.snapshot as snapshot_module
from graph_api.analytics import hotspots, ring_candidates, top_sources
from graph_api.analytics.kept import KeptViews
from graph_api.analytics.snapshot import snapshot
from graph_api.services import Services
from graph_api.synthetic import iter_reports
from tests.api.test_view_equivalence import load
from tests.conftest import MakeServices


class Views:
    """Whole-graph answers per org through one `KeptViews`, counting full reads."""

    def __init__(self, services: Services, kept: KeptViews, monkeypatch: Any) -> None:
        self.services, self.kept, self.reads = services, kept, 0
        build = snapshot_module._build

        def counting(G: Any) -> Any:
            self.reads += 1
            return build(G)

        monkeypatch.setattr(snapshot_module, "_build", counting)

    def scope(self, org_id: str) -> Any:
        return self.services.operator_scope(self.services.find_org(org_id))

    def answers(self, org_id: str) -> tuple[Any, ...]:
        store = self.services.store
        scope = self.scope(org_id)
        visible = store.visible(scope)
        view = visible.graph()
        view.__networkx_cache__ = self.kept.cache(
            scope.view_key, store.view_version(scope), visible, store.changes_since  # type: ignore[attr-defined]
        )
        return self.of(view)

    @staticmethod
    def of(view: Any) -> tuple[Any, ...]:
        return (
            top_sources(view),
            hotspots(view, first=None),
            ring_candidates(view, min_size=1),
            sorted(snapshot(view).ids),
        )

    def fresh(self, org_id: str) -> tuple[Any, ...]:
        """The answers on the view read afresh (not counted)."""
        reads = self.reads
        found = self.of(self.services.store.view(self.scope(org_id)))
        self.reads = reads
        return found

    def write(self, org_id: str, marking: str, n: int) -> None:
        """A seller and storefront shipping from a generated warehouse, stated by
        ``org_id`` in ``marking``: it joins the clustered graph of those who see it."""
        tick = f"tick-{n}"
        raw = {
            "reportId": tick,
            "source": "OSINT",
            "confidence": 0.5,
            "marking": marking,
            "entities": [
                {"id": tick, "kind": "SELLER", "name": "tick"},
                {"id": tick + "-store", "kind": "STOREFRONT", "region": "TICK"},
            ],
            "relations": [
                {"kind": "OPERATES", "from": tick, "to": tick + "-store"},
                {"kind": "SHIPS_FROM", "from": tick + "-store", "to": self.warehouse},
            ],
        }
        self.services.submit_report(self.scope(org_id), raw)

    @property
    def warehouse(self) -> str:
        """A warehouse that every org written as sees."""
        store = self.services.store
        return min(
            n
            for n, kind in store.graph.nodes(data="kind")  # type: ignore[attr-defined]
            if kind == "WAREHOUSE"
            and all(
                store.visible_kind(self.scope(o), n) is not None
                for o in ("stridewell", "maison-verel", "bazaarhub")
            )
        )


@pytest.fixture
def views(make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Views:
    services = make_services()
    load(services, list(iter_reports(60, seed=9)), tmp_path)
    return Views(services, KeptViews(size=2), monkeypatch)


def test_two_views_are_kept_and_a_write_one_cannot_see_changes_nothing(views: Views) -> None:
    brand = views.answers("stridewell")
    rival = views.answers("maison-verel")
    assert views.reads == 2 and views.kept.views() == ["stridewell", "maison-verel"]
    views.write("stridewell", "RED", 1)  # only stridewell sees it
    assert views.answers("maison-verel") == rival  # followed, not read: nothing changed
    after = views.answers("stridewell")  # followed too: its snapshot was kept
    assert views.reads == 2
    assert after != brand and after == views.fresh("stridewell")
    assert "tick-1" in after[3] and "tick-1" not in views.fresh("maison-verel")[3]
    views.write("maison-verel", "GREEN", 2)  # both see it
    assert views.answers("stridewell") == views.fresh("stridewell")
    assert views.answers("maison-verel") == views.fresh("maison-verel")
    assert views.reads == 2


def test_the_least_recently_asked_view_goes(views: Views) -> None:
    views.answers("stridewell")
    views.answers("maison-verel")
    views.answers("stridewell")  # now maison-verel is the least recently asked
    views.answers("bazaarhub")
    assert views.reads == 3 and views.kept.views() == ["stridewell", "bazaarhub"]
    views.write("bazaarhub", "GREEN", 1)
    assert views.answers("stridewell") == views.fresh("stridewell")
    assert views.reads == 3  # kept: followed
    assert views.answers("maison-verel") == views.fresh("maison-verel")
    assert views.reads == 4  # evicted: read again
    assert views.kept.views() == ["stridewell", "maison-verel"]


def test_one_view_kept_is_the_old_behaviour(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services()
    load(services, list(iter_reports(30, seed=2)), tmp_path)
    views = Views(services, KeptViews(size=1), monkeypatch)
    views.answers("stridewell")
    views.answers("maison-verel")
    views.answers("stridewell")
    assert views.reads == 3


def test_a_served_graph_keeps_as_many_views_as_its_size_allows(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database opened with its graph keeps as many views' caches as ``KEPT_BYTES``
    holds for its size (every org's at 100k entities, two at 1M): with the budget of
    about three views of this graph, three; an empty one starts with the fewest."""
    import graph_api.analytics.kept as kept_module

    services = make_services(name="loaded")
    load(services, list(iter_reports(300, seed=3)), tmp_path)
    entities = len(services.backend.in_process.graph)  # type: ignore[union-attr]
    services.close()
    monkeypatch.setattr(kept_module, "KEPT_BYTES", 3 * entities * kept_module.BYTES_PER_ENTITY)
    reopened = make_services(name="loaded")
    assert reopened.whole_graph.kept.size == 3
    assert make_services(name="empty").whole_graph.kept.size == kept_module.KEPT_VIEWS
