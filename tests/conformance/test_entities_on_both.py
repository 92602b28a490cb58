"""`entities` pages, filters, searches and totalCount on every store equal the scan of
every visible entity (``GraphReads.find_entities``), and the two stores answer alike
(issue 21, item 0): the embedded store from its indexes, the Neo4j store from queries
that page, count and find texts in the database."""

from __future__ import annotations

import random
import re
import sys
from typing import Any

import pytest

from graph_api.store.base import EntityFilter
from graph_api.store.neo4j.cypher import query
from graph_api.store.neo4j.reads import FOLDS_TO_ASCII
from graph_api.store.reads import GraphReads
from tests.conftest import MakeServices
from tests.test_entity_index import filters, random_report, walk, world, write


def test_the_characters_folding_to_ascii_are_all_listed() -> None:
    every = {chr(i) for i in range(128, sys.maxunicode + 1)
             if any(ord(c) < 128 for c in chr(i).casefold())}
    assert every == set(FOLDS_TO_ASCII)


def test_the_database_folds_them_as_python_does(services: Any, store_kind: str) -> None:
    """find_entity_candidates folds the data with toUpper then toLower, twice."""
    if store_kind != "neo4j":
        pytest.skip("the Neo4j store's query")
    text = query("find_entity_candidates")
    fold = re.search(r"(toLower\(toUpper\(toLower\(toUpper\()s\.data(\)\)\)\))", text)
    assert fold is not None
    with services.store.driver.session(database=services.store.database) as session:
        folded = {c: session.run(f"RETURN {fold[1]}$text{fold[2]} AS folded", text=c
                                 ).single()["folded"] for c in FOLDS_TO_ASCII + "AzÄßİ"}
    assert folded == {c: c.casefold() for c in folded}


@pytest.mark.parametrize("seed", [3])
def test_pages_counts_and_searches_equal_the_scan_and_the_other_store(
    make_services: MakeServices, store_kind: str, seed: int
) -> None:
    if store_kind == "memory":
        pytest.skip("the embedded store is compared with the scan in tests/test_entity_index")
    stores = {kind: make_services(kind, name=kind) for kind in ("memory", "neo4j")}
    rng = random.Random(seed)
    lines = [random_report(rng, n, 30) for n in range(50)]
    scopes = {}
    for kind, services in stores.items():
        scopes[kind] = world(services)
        write(services, scopes[kind], lines[:35], bulk=True)
        write(services, scopes[kind], lines[35:], bulk=False)
    checks = filters(random.Random(seed)) + [EntityFilter(search="ß"), EntityFilter(search=" ")]
    neo4j = stores["neo4j"].store

    def scan(*args: Any) -> Any:
        return GraphReads.find_entities(neo4j, *args)  # type: ignore[arg-type]

    for where in checks:
        for org in scopes["neo4j"]:
            for first in (2, 50):
                answers = {
                    kind: walk(services.store.find_entities, scopes[kind][org], where, first)
                    for kind, services in stores.items()
                }
                scanned = walk(scan, scopes["neo4j"][org], where, first)
                assert answers["neo4j"] == scanned == answers["memory"], (org, where, first)
