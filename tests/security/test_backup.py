"""Backups: a restored copy answers every query as the original did, also when the
backup was taken while writes continued; restore refuses to overwrite or to use a
changed backup; secrets keep mode 0600."""

from __future__ import annotations

import shutil
import stat
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_api.backup import backup, restore
from graph_api.config import Settings
from graph_api.export.keys import load_or_create_signing_key, public_key_pem
from graph_api.model import OrgType, Principal
from graph_api.services import Services, hash_token
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
    secrets = [f"graph.db.d/{name}" for name in
               ("pseudonym.key", "export-signing-key.pem", "audit-digest.key")]
    assert set(secrets) <= set(info.files)
    for name in [*secrets, "graph.db"]:
        assert mode(folder / name) == 0o600, name
    target = tmp_path / "restored" / "graph.db"
    restore(folder, target)
    for name in [*secrets, "graph.db"]:
        assert mode(target.parent / name) == 0o600, name
    assert mode(target.parent / "graph.db.d") == 0o700
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
    key = tmp_path / "b" / "graph.db.d" / "pseudonym.key"
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


# -- one database's files, never another's (issue 22, item 2) ----------------------------
def package(services: Services, name: str, principal: str) -> Path:
    """A stand-in for an export package of ``services``' database, as exportCase keeps
    one: the zip and who made it."""
    exports = services.settings.secrets_dir / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    (exports / f"{name}.zip").write_bytes(f"package {name}".encode())
    (exports / f"{name}.json").write_bytes(orjson.dumps({"id": name, "principal": principal}))
    return exports / f"{name}.zip"


def test_two_databases_in_one_folder_share_nothing(tmp_path: Path) -> None:
    """Issue 22: two databases in one folder shared the pseudonym and signing keys, and
    backing up one copied the other's AMBER_STRICT police package."""
    folder = tmp_path / "data"
    a = Services.open(Settings(db=folder / "a.db"))
    b = Services.open(Settings(db=folder / "b.db"))
    try:
        assert a.secret != b.secret and a.audit_key != b.audit_key
        keys = [load_or_create_signing_key(s.settings.secrets_dir) for s in (a, b)]
        assert public_key_pem(keys[0]) != public_key_pem(keys[1])
        package(a, "exp-police-amber-strict", "p-a")
        package(b, "exp-b", "p-b")
        info = backup(b.settings.db, tmp_path / "backup-b")
    finally:
        a.close()
        b.close()
    assert not [n for n in info.files if "exp-police" in n or n.startswith("a.db")]
    assert {"b.db.d/exports/exp-b.zip", "b.db.d/pseudonym.key"} <= set(info.files)
    restored = restore(tmp_path / "backup-b", tmp_path / "elsewhere" / "c.db")
    assert "c.db.d/exports/exp-b.zip" in restored.files
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["c.db", "c.db.d"]
    assert not list((tmp_path / "elsewhere").rglob("exp-police*"))


def legacy_folder(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A folder as an older version left it: two databases sharing the secrets and the
    exports/ folder beside them."""
    folder = tmp_path / "data"
    for name in ("graph.db", "other.db"):
        services = Services.open(Settings(db=folder / name))
        make_scopes_for(services, name)
        services.close()
    shared = folder / "graph.db.d"
    for path in shared.iterdir():
        if path.is_file():
            path.rename(folder / path.name)  # graph.db's keys become the folder's
    shutil.rmtree(shared)
    shutil.rmtree(folder / "other.db.d")  # other.db used them too
    load_or_create_signing_key(folder)
    (folder / "exports").mkdir()
    for name, principal in (("exp-mine", "p-graph.db"), ("exp-theirs", "p-other.db")):
        (folder / "exports" / f"{name}.zip").write_bytes(name.encode())
        (folder / "exports" / f"{name}.json").write_bytes(orjson.dumps({"principal": principal}))
    secrets = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()
               and not p.name.endswith(("db", "-wal", "-shm"))}
    return folder, secrets


def make_scopes_for(services: Services, db_name: str) -> None:
    org = services.add_org("Acme", OrgType.BRAND, False, "acme")
    services.store.add_principal(Principal(f"p-{db_name}", org, "liaison"), hash_token(db_name))


def test_an_older_folder_is_moved_to_one_folder_per_database(tmp_path: Path) -> None:
    folder, secrets = legacy_folder(tmp_path)
    assert set(secrets) == {"pseudonym.key", "audit-digest.key", "export-signing-key.pem",
                            "export-signing-key.pub.pem"}
    first = Services.open(Settings(db=folder / "graph.db"))
    first.close()
    own = folder / "graph.db.d"
    assert {p.name: p.read_bytes() for p in own.iterdir() if p.is_file()} == secrets
    assert all(mode(p) == 0o600 for p in own.iterdir() if p.is_file())
    assert sorted(p.name for p in (own / "exports").iterdir()) == ["exp-mine.json",
                                                                    "exp-mine.zip"]
    assert first.secret == secrets["pseudonym.key"]  # its ids still recompute
    other = Services.open(Settings(db=folder / "other.db"))  # used them too: keeps them
    other.close()
    assert other.secret == secrets["pseudonym.key"]
    assert sorted(p.name for p in (folder / "other.db.d" / "exports").iterdir()) == [
        "exp-theirs.json", "exp-theirs.zip"]
    new = Services.open(Settings(db=folder / "new.db"))  # a new database: keys of its own
    new.close()
    assert new.secret != secrets["pseudonym.key"]
    assert not (folder / "new.db.d" / "exports").exists()
    again = Services.open(Settings(db=folder / "graph.db"))  # adopted once, then its own
    again.close()
    assert again.secret == first.secret


def test_a_backup_of_the_older_layout_restores_into_the_new(twins_for: MakeTwins,
                                                           tmp_path: Path) -> None:
    original = twins_for("acme").a
    backup(original.settings.db, tmp_path / "b")
    old = tmp_path / "old"  # as an older version wrote it: secrets at the top
    old.mkdir()
    manifest = orjson.loads((tmp_path / "b" / "backup.json").read_bytes())
    files = {}
    for name, digest in manifest["files"].items():
        flat = name.removeprefix("graph.db.d/")
        (old / flat).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "b" / name, old / flat)
        files[flat] = digest
    del manifest["layout"]
    (old / "backup.json").write_bytes(orjson.dumps({**manifest, "files": files}))
    target = tmp_path / "r" / "graph.db"
    restore(old, target)
    assert (target.parent / "graph.db.d" / "pseudonym.key").read_bytes() == original.secret
    restored = open_services(target.parent)
    try:
        assert answers(restored) == answers(original)
    finally:
        restored.close()


def test_a_backup_naming_a_place_outside_it_is_refused(twins_for: MakeTwins,
                                                       tmp_path: Path) -> None:
    original = twins_for("acme").a
    backup(original.settings.db, tmp_path / "b")
    manifest_path = tmp_path / "b" / "backup.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    escape = tmp_path / "b" / "graph.db.d" / "pseudonym.key"
    manifest["files"]["graph.db.d/../../outside.key"] = manifest["files"][
        "graph.db.d/pseudonym.key"]
    manifest_path.write_bytes(orjson.dumps(manifest))
    (tmp_path / "outside.key").write_bytes(escape.read_bytes())
    with pytest.raises(ValueError, match="outside the backup"):
        restore(tmp_path / "b", tmp_path / "r" / "graph.db")
    assert not (tmp_path / "r").exists()
