from __future__ import annotations

from datetime import UTC, datetime

from graph_api.export.view import CaseView, counts, highest_marking, iso, iter_items
from graph_api.model import Marking


def test_highest_marking_and_counts(view: CaseView) -> None:
    assert highest_marking(view) is Marking.RED
    assert counts(view) == {"entities": 16, "relations": 18, "test_buys": 2, "outcomes": 3,
                            "evidence": 2}
    assert len(list(iter_items(view))) == 41


def test_highest_marking_counts_the_case_itself(view: CaseView) -> None:
    clear = CaseView(**{**{f: getattr(view, f) for f in view.__dataclass_fields__},
                        "entities": (), "relations": (), "test_buys": ()})  # fmt: skip
    assert highest_marking(clear) is Marking.AMBER_STRICT


def test_iso_is_utc_with_z() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000Z"
    assert iso(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"
