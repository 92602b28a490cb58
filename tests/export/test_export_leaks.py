"""Writers show only what the view holds: no absent id, no hidden identifier value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graph_api.export.common import export
from graph_api.export.package import FORMATS
from graph_api.export.stix import stix_id
from graph_api.export.view import CaseView
from graph_api.model import EntityKind
from tests.export.case import ABSENT_ID, HIDDEN_ID

HIDDEN_VALUE = "+8613999999999"


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_no_file_names_an_entity_absent_from_the_view(
    make_view: Callable[..., CaseView], format_name: str
) -> None:
    view = make_view(absent_relation=True)  # a relation pointing outside the view
    files = export(view, FORMATS[format_name])
    absent_stix = stix_id(EntityKind.SELLER, ABSENT_ID).encode()
    for name, data in files.items():
        assert ABSENT_ID.encode() not in data, name
        assert absent_stix not in data, name


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_a_hidden_identifier_value_is_never_written(view: CaseView, format_name: str) -> None:
    hidden = next(e for e in view.entities if e.id == HIDDEN_ID)
    assert hidden.value is None
    files = export(view, FORMATS[format_name])
    blob = b"".join(files.values())
    assert HIDDEN_ID.encode() in blob  # the pseudonym still shows what sellers share
    assert HIDDEN_VALUE.encode() not in blob
    for needle in (b'"value": null', b'"value":null', b'"value": ""'):
        assert needle not in blob


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_every_id_written_comes_from_the_view(view: CaseView, format_name: str) -> None:
    """Everything that looks like a graph_api entity id in the output is one the view holds."""
    import re

    blob = b"".join(export(view, FORMATS[format_name]).values()).decode()
    pattern = re.compile(
        r"(?<![\w-])(?:(?:seller|store|listing|wh|factory|ring|brand)-\d+|idn-[a-z]{2}-\w+)\b"
    )
    allowed = {e.id for e in view.entities}
    found: set[Any] = set(pattern.findall(blob))
    assert found <= allowed, found - allowed
