from __future__ import annotations

from collections.abc import Callable

import pytest

from graph_api.export.view import CaseView
from tests.export.case import build_view


@pytest.fixture
def make_view() -> Callable[..., CaseView]:
    return build_view


@pytest.fixture
def view() -> CaseView:
    return build_view()
