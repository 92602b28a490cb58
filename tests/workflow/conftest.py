from __future__ import annotations

from typing import Any

import pytest

from graph_api.access import Scope
from graph_api.services import Services
from tests.conftest import MakeServices, add_orgs
from tests.workflow.support import marketplace, role


@pytest.fixture
def services(make_services: MakeServices) -> Services:
    return make_services("memory")


@pytest.fixture
def world(services: Services) -> dict[str, Any]:
    """Orgs, roles and the platform's marketplace: scopes by name."""
    scopes: dict[str, Scope] = add_orgs(services)
    scopes["reviewer"] = role(services, "bazaar", "reviewer")
    scopes["liaison"] = role(services, "police", "liaison")
    marketplace(services, scopes)
    return scopes
