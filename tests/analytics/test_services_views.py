"""`WholeGraph.cached` keeps the snapshots of the views asked last: brands taking turns
at whole-graph queries do not make each other's views be read again, and each
still gets exactly the answer of its own view read afresh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_api.analytics import RingCandidate, ring_candidates, top_sources
from graph_api.synthetic import iter_reports
from tests.analytics.test_kept import Views
from tests.api.test_view_equivalence import load
from tests.conftest import MakeServices


def every_ring(view: Any) -> list[RingCandidate]:
    return ring_candidates(view, min_size=1)


def members(rings: Any) -> set[str]:
    return {m for ring in rings for m in ring.members}


def test_two_brands_taking_turns_keep_their_snapshots(
    make_services: MakeServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services()
    load(services, list(iter_reports(60, seed=4)), tmp_path)
    views = Views(services, services.whole_graph.kept, monkeypatch)  # counts full reads of a view

    def rings(org_id: str) -> object:
        return services.whole_graph.cached(views.scope(org_id), "rings", 1, every_ring)

    def sources(org_id: str) -> object:
        return services.whole_graph.cached(views.scope(org_id), "topSources", None, top_sources)

    def fresh(org_id: str) -> object:
        return every_ring(services.store.view(views.scope(org_id)))

    rings("stridewell"), rings("maison-verel")
    assert views.reads == 2
    views.write("stridewell", "RED", 1)  # a write only stridewell sees
    answers = rings("maison-verel"), rings("stridewell"), sources("stridewell")
    assert views.reads == 2  # both followed over the write, neither read again
    assert answers[0] == fresh("maison-verel")
    assert answers[1] == fresh("stridewell")
    assert members(answers[1]) - members(answers[0]) == {"tick-1", "tick-1-store"}
    assert answers[2] == top_sources(services.store.view(views.scope("stridewell")))
