"""The leak matrix's world spread over time, for ``@asOf``: twin stores whose shared steps
and secrets happen at different times (two in the same instant), and a shared step
after every secret.

Store A runs every step, store B the shared ones and the secrets the caller may read,
each at the same time as in A (the clock set before each step), so that a view of B as
of any time is what the caller may read of A's as of then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from graph_api.services import Services
from graph_api.workflow import notices as wf_notices
from graph_api.workflow import publication as wf_publication
from graph_api.workflow.notice_reads import list_notices
from tests.conftest import FixedClock
from tests.security.support import Ids, Scopes, Twins, make_scopes, open_services, report
from tests.security.world import SECRETS, shared

__all__ = ["CUTS", "T0", "build_timed_twins"]

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=30)
# Each secret's time: the first two in the same instant as the shared world.
SECRET_TIMES = [T0, T0, *(T0 + timedelta(minutes=n) for n in range(1, len(SECRETS) - 1))]
CUTS = [T0 - timedelta(microseconds=1), T0, T0 + timedelta(minutes=1, seconds=30),
        T0 + timedelta(minutes=4), LATER - timedelta(microseconds=1), LATER,
        LATER + timedelta(days=1)]


def later(services: Services, s: Scopes) -> None:
    """Shared, after every secret: Acme's notice upheld, a new GREEN name, a publication."""
    notice = acme_notice(services, s)
    wf_notices.decide_notice(services, s["bazaar:reviewer"], notice, True, "upheld later")
    report(services, s["rival"], "rival-later", "GREEN", [
        {"id": "seller-2", "kind": "SELLER", "name": "Later name"},
        {"id": "listing-3", "kind": "LISTING", "status": "LIVE"}], [])
    wf_publication.publish(services, s["bazaar:reviewer"], "seller-2", "BANNED", "later")


def acme_notice(services: Services, s: Scopes) -> str:
    """Acme's notice of the shared world (its id is the same in both stores)."""
    (doc,) = [d for d in list_notices(services, s["acme"], None, 50) if d["brand"] == "acme"]
    return str(doc["id"])


def build_timed_twins(tmp: Path, ids: Ids, caller: str) -> Twins:
    a = open_services(tmp / "with-secrets")
    b = open_services(tmp / "without", keys_from=tmp / "with-secrets")
    scopes = make_scopes(a)
    make_scopes(b)
    for label, services, wanted in (
        ("A", a, SECRETS), ("B", b, [x for x in SECRETS if caller in x.readers]),
    ):
        clock = services.clock
        assert isinstance(clock, FixedClock)
        clock.now = T0
        with ids.at(label, "shared"):
            shared(services, scopes)
        for secret, at in zip(SECRETS, SECRET_TIMES, strict=True):
            if secret in wanted:
                clock.now = at
                with ids.at(label, f"secret-{secret.name}"):
                    secret.run(services, scopes)
        clock.now = LATER
        with ids.at(label, "later"):
            later(services, scopes)
        clock.now = LATER + timedelta(days=2)  # asked afterwards
    return Twins(a=a, b=b, scopes=scopes, ids=ids, caller=caller)
