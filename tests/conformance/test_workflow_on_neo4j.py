"""The workflow suite (``tests/workflow``) again, over the Neo4j store.

With ``--store neo4j`` the workflow records live in Neo4j (``Neo4jRecordStore``),
so notices, refutations, decisions, sweeps, penalties and the strike ladder,
rights, per-listing outcomes, counter-notices, appeals, notifier stats, test
buys, cases, alerts and evidence with its chain of custody must behave there
exactly as on the embedded store:
the same test functions run here with ``services`` on the Bolt server.
"""

from __future__ import annotations

from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.services import Services
from graph_api.store.neo4j.records import Neo4jRecordStore
from graph_api.workflow.runtime import workflow_for
from tests.conftest import NEO4J_URI, MakeServices, add_orgs
from tests.workflow.support import marketplace, role
from tests.workflow.test_alerts import *  # noqa: F403
from tests.workflow.test_desk import *  # noqa: F403
from tests.workflow.test_evidence import *  # noqa: F403
from tests.workflow.test_ladder import *  # noqa: F403
from tests.workflow.test_notices import *  # noqa: F403
from tests.workflow.test_permissions import *  # noqa: F403
from tests.workflow.test_testbuys_cases import *  # noqa: F403

pytestmark = pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")


@pytest.fixture
def services(make_services: MakeServices) -> Services:
    services = make_services("neo4j")
    assert isinstance(workflow_for(services).records, Neo4jRecordStore)
    return services


@pytest.fixture
def world(services: Services) -> dict[str, Any]:
    scopes: dict[str, Scope] = add_orgs(services)
    scopes["reviewer"] = role(services, "bazaar", "reviewer")
    scopes["liaison"] = role(services, "police", "liaison")
    marketplace(services, scopes)
    return scopes
