"""One demo network in both stores: every org gets the same answer from each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.api.test_analytics_api import ANALYTICS, DEMO, demo_store, ids_of, scope_of
from tests.api.test_view_equivalence import every_page
from tests.conftest import NEO4J_URI, MakeServices
from tests.support import gql

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")


def test_embedded_and_neo4j_answer_alike(make_services: MakeServices, tmp_path: Path) -> None:
    memory = demo_store(make_services, "memory", DEMO, tmp_path / "memory", "memory")
    (tmp_path / "neo4j").mkdir()
    shutil.copy(memory.settings.secrets_dir / "pseudonym.key", tmp_path / "neo4j")
    neo4j = demo_store(make_services, "neo4j", DEMO, tmp_path / "neo4j", "neo4j", key_from=memory)
    for org in ("stridewell", "maison-verel", "bazaarhub", "ipcu"):
        a, b = scope_of(memory, org), scope_of(neo4j, org)
        assert every_page(memory, a) == every_page(neo4j, b), org
        for origin in ids_of("LISTING")[::4]:
            variables = {"id": origin, "to": ids_of("SELLER")[0], "brand": ids_of("BRAND")[0]}
            assert gql(memory, a, ANALYTICS, variables) == gql(neo4j, b, ANALYTICS, variables)
