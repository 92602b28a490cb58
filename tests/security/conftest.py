"""Fixtures of the security suite: deterministic ids and twin stores."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.security.support import Ids, Secret, Twins, build_twins
from tests.security.world import SECRETS, shared

MakeTwins = Callable[..., Twins]


@pytest.fixture
def ids(monkeypatch: pytest.MonkeyPatch) -> Ids:
    ids = Ids()
    monkeypatch.setattr(uuid, "uuid4", ids)
    return ids


@pytest.fixture
def twins_for(tmp_path: Path, ids: Ids) -> Iterator[MakeTwins]:
    """``twins_for("acme")``: store A with every secret, store B with what acme may read."""
    opened: list[Twins] = []

    def make(caller: str, secrets: list[Secret] | None = None) -> Twins:
        folder = tmp_path / f"{caller}-{len(opened)}"
        twins = build_twins(folder, ids, caller, shared, SECRETS if secrets is None else secrets)
        opened.append(twins)
        return twins

    yield make
    for twins in opened:
        twins.a.close()
        twins.b.close()
