"""Backups: a restored copy answers every query as the original did, also when the
backup was taken while writes continued; restore refuses to overwrite or to use a
changed backup; secrets keep mode 0600."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from graph_api.backup import backup, restore
from graph_api.services import Services
from tests.e2e.server import cli
from tests.security.conftest import MakeTwins
from tests.security.support import make_scopes, open_services
from tests.security.test_leak_matrix import CALLERS, CASE, ENTITY, NOTICE, PATH, TEST_BUY
from tests.security.world import ALL_IDS
from tests.support import gql

BATTERY: list[tuple[str, dict[str, Any]]] = [
    ("query($id: ID!) { entity(id: $id) { %s } }" % ENTITY, {"id": eid}) for eid in ALL_IDS
] + [
    ("""{ entities(first: 1000) { totalCount edges { cursor node { id name status confidence } }
         pageInfo { hasNextPage endCursor } } }""", {}),
    ("""query($id: ID!) {
        traceToSource(from: $id) { sources { entity { id } score depth paths { %s } } }
        network(seeds: [$id], maxHops: 3) { truncated nodes { id } relations { id confidence } }
        linkedEntities(id: "seller-1") { entity { id } sharedIdentifiers { id value } }
        connections(from: $id, to: "seller-2") { %s }
        topSources { entity { id } score } rings(minSize: 1) { id size members { id } }
        hotspots { totalListings regions { region listings share } } }""" % (PATH, PATH),
     {"id": "listing-1"}),
    ("{ notices { %s } cases { %s } testBuys { %s } nameAndShame { id } }"
     % (NOTICE, CASE, TEST_BUY), {}),
    ("{ alerts { id kind subject { id } explanation { %s } } }" % PATH, {}),
]


def answers(services: Services) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for caller in CALLERS:
        principal = services.store.principal(f"p-{caller}-investigator")
        assert principal is not None
        scope = services.scope_for(principal)
        out[caller] = [gql(services, scope, q, v) for q, v in BATTERY]
    return out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_restored_backup_answers_every_query_alike(
    twins_for: MakeTwins, tmp_path: Path
) -> None:
    original = twins_for("acme").a
    folder = tmp_path / "backup"
    info = backup(original.settings.db, folder)
    assert info.reports > 0
    assert {"pseudonym.key", "export-signing-key.pem", "audit-digest.key"} <= set(info.files)
    for name in ("pseudonym.key", "export-signing-key.pem", "audit-digest.key", "graph.db"):
        assert mode(folder / name) == 0o600, name
    target = tmp_path / "restored" / "graph.db"
    restore(folder, target)
    for name in ("pseudonym.key", "export-signing-key.pem", "audit-digest.key", "graph.db"):
        assert mode(target.parent / name) == 0o600, name
    restored = open_services(target.parent)
    try:
        assert restored.secret == original.secret
        assert restored.audit_key == original.audit_key  # the ledger's digests still hold
        assert answers(restored) == answers(original)
    finally:
        restored.close()


def test_restore_refuses_to_overwrite_unless_forced(twins_for: MakeTwins, tmp_path: Path) -> None:
    original = twins_for("acme").a
    backup(original.settings.db, tmp_path / "b1")
    with pytest.raises(ValueError, match="overwrite"):
        restore(tmp_path / "b1", original.settings.db)
    other = open_services(tmp_path / "other")  # another database, another pseudonym key
    other.close()
    with pytest.raises(ValueError, match="overwrite"):
        restore(tmp_path / "b1", other.settings.db)
    restore(tmp_path / "b1", other.settings.db, force=True)
    again = open_services(tmp_path / "other")
    try:
        assert again.secret == original.secret
        assert answers(again) == answers(original)
    finally:
        again.close()
    with pytest.raises(ValueError, match="not empty"):
        backup(original.settings.db, tmp_path / "b1")


def test_a_changed_backup_is_refused(twins_for: MakeTwins, tmp_path: Path) -> None:
    original = twins_for("acme").a
    backup(original.settings.db, tmp_path / "b")
    key = tmp_path / "b" / "pseudonym.key"
    data = bytearray(key.read_bytes())
    data[0] ^= 1
    key.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="changed"):
        restore(tmp_path / "b", tmp_path / "r" / "graph.db")
    assert not (tmp_path / "r" / "graph.db").exists()


def line(n: int) -> dict[str, Any]:
    return {
        "reportId": f"w{n:04d}", "source": "OSINT", "confidence": 0.5 + (n % 5) / 10,
        "marking": ["GREEN", "AMBER", "RED", "AMBER_STRICT"][n % 4],
        "entities": [{"id": f"seller-w{n}", "kind": "SELLER", "name": f"S{n}"},
                     {"id": f"store-w{n}", "kind": "STOREFRONT"},
                     {"id": f"wh-w{n % 7}", "kind": "WAREHOUSE", "region": f"R{n % 3}"}],
        "relations": [{"kind": "OPERATES", "from": f"seller-w{n}", "to": f"store-w{n}"},
                      {"kind": "SHIPS_FROM", "from": f"store-w{n}", "to": f"wh-w{n % 7}"}],
    }


def test_a_backup_taken_while_writes_continue_is_a_consistent_prefix(tmp_path: Path) -> None:
    source = open_services(tmp_path / "live")
    scopes = make_scopes(source)
    writer = open_services(tmp_path / "live")  # a second connection, as a server's would be
    started = threading.Event()
    errors: list[BaseException] = []
    total = 2000

    def write() -> None:
        try:
            for n in range(total):
                writer.submit_report(scopes["acme"], line(n))
                if n == 40:
                    started.set()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert started.wait(60)
    info = backup(source.settings.db, tmp_path / "b")
    thread.join(120)
    assert not errors, errors
    assert 40 < info.reports < total, info.reports  # taken while the writer was writing
    restore(tmp_path / "b", tmp_path / "restored" / "graph.db")
    restored = open_services(tmp_path / "restored")
    # the same prefix of reports, loaded fresh under the same key, answers alike
    fresh = open_services(tmp_path / "fresh", keys_from=tmp_path / "live")
    fresh_scopes = make_scopes(fresh)
    for n in range(info.reports):
        fresh.submit_report(fresh_scopes["acme"], line(n))
    try:
        assert restored.store.db.max_seq() > 0  # type: ignore[attr-defined]
        for caller in ("acme", "rival", "bazaar", "police"):
            scope = scopes[caller]
            for query in (
                "{ entities(first: 1000) { totalCount edges { node { id name region confidence "
                "assertions { reportId marking } } } } }",
                "{ topSources(first: 50) { entity { id } score } hotspots { totalListings "
                "regions { region listings } } }",
            ):
                assert gql(restored, scope, query) == gql(fresh, scope, query), (caller, query)
        # nothing after the snapshot is there
        answer = gql(restored, scopes["acme"], '{ entity(id: "seller-w%d") { id } }'
                     % info.reports)
        assert answer["data"]["entity"] is None
    finally:
        for services in (source, writer, restored, fresh):
            services.close()


def test_backup_and_restore_commands(twins_for: MakeTwins, tmp_path: Path) -> None:
    """``graph-api backup DEST`` and ``graph-api restore SRC [--force]``."""
    original = twins_for("acme").a
    done = cli(original.settings.db, "backup", str(tmp_path / "b"))
    assert "backed up" in done.stdout.splitlines()[-1]
    target = tmp_path / "r" / "graph.db"
    done = cli(target, "restore", str(tmp_path / "b"))
    assert "restored" in done.stdout.splitlines()[-1]
    refused = cli(target, "restore", str(tmp_path / "b"), check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr
    cli(target, "restore", str(tmp_path / "b"), "--force")
    restored = open_services(target.parent)
    try:
        assert answers(restored) == answers(original)
    finally:
        restored.close()
