"""npm ``graphql-ws`` (the protocol's reference client, as browsers and Node use it)
subscribes to ``alertRaised`` on a real server and receives the alert a ``submitReport``
raises: a banned seller's bank account turns up under a new seller."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.clients.support import demo_server, node, ws_url
from tests.e2e.test_subscription import COMEBACK, SUBMIT

pytestmark = pytest.mark.e2e


def test_graphql_ws_receives_the_alert_a_report_raises(tmp_path: Path) -> None:
    with demo_server(tmp_path) as server:
        tokens = server.demo_tokens()
        process = node("subscribe_alert.mjs", ws_url(server), tokens[("ipcu", "investigator")],
                       "RECIDIVISM", "30")
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "subscribed", process.stderr
        time.sleep(0.5)  # the server registers the subscription as the message arrives
        answer = server.gql(tokens[("bazaarhub", "investigator")], SUBMIT, {"input": COMEBACK})
        assert answer["data"]["submitReport"]["created"], answer
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert events and all("errors" not in e for e in events), events
    alerts = {e["data"]["alertRaised"]["subject"]["id"]: e["data"]["alertRaised"] for e in events}
    alert = alerts["seller-new-face"]
    assert alert["kind"] == "RECIDIVISM"
    path = [n["id"] for n in alert["explanation"][0]["nodes"]]
    assert path[0] == "seller-new-face" and path[-1] == "seller-golden-step"


def test_graphql_ws_is_refused_with_a_token_that_is_not_valid(tmp_path: Path) -> None:
    with demo_server(tmp_path) as server:
        process = node("subscribe_alert.mjs", ws_url(server), "gapi_not-a-token", "RECIDIVISM",
                       "10")
        out, err = process.communicate(timeout=60)
    assert out.splitlines()[0].startswith("closed 4403 Forbidden"), (out, err)
